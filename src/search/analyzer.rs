//! Text analysis for Russian and English: lower-case, ё→е, Snowball stemming by the
//! script of each word.

use std::borrow::Cow;

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

pub(crate) const ANALYZER: &str = "ru_en";

/// Lower-cased tokens in: ё folded to е, then stemmed as Russian when the word has
/// Cyrillic letters, as English otherwise.
#[derive(Clone, Default)]
struct RuEnStem;

impl TokenFilter for RuEnStem {
    type Tokenizer<T: Tokenizer> = RuEnStemFilter<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> RuEnStemFilter<T> {
        RuEnStemFilter { inner }
    }
}

#[derive(Clone)]
struct RuEnStemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RuEnStemFilter<T> {
    type TokenStream<'a> = RuEnStemStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RuEnStemStream {
            tail: self.inner.token_stream(text),
            ru: frostem::Stemmer::new(frostem::Algorithm::Russian),
            en: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

struct RuEnStemStream<T> {
    tail: T,
    ru: frostem::Stemmer,
    en: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for RuEnStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.contains('ё') {
            token.text = token.text.replace('ё', "е");
        }
        let cyrillic = token
            .text
            .chars()
            .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        let stemmed = if cyrillic {
            self.ru.stem(&token.text)
        } else {
            self.en.stem(&token.text)
        };
        if let Cow::Owned(s) = stemmed {
            token.text = s;
        } else if let Cow::Borrowed(s) = stemmed
            && s.len() != token.text.len()
        {
            token.text = s.to_string();
        }
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(RuEnStem)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut s = a.token_stream(text);
        let mut v = Vec::new();
        while s.advance() {
            v.push(s.token().text.clone());
        }
        v
    }

    #[test]
    fn russian_and_english_are_stemmed_and_yo_folded() {
        assert_eq!(tokens("Приказы приказом"), tokens("приказ ПРИКАЗА"));
        assert_eq!(tokens("учёта"), tokens("учета"));
        assert_eq!(tokens("running runs"), vec!["run", "run"]);
    }
}
