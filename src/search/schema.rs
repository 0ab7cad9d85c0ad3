//! The index schema: which document fields are indexed, stored and columnar.

use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

use super::analyzer::ANALYZER;

/// Bump when the schema or analysis changes: an index of another version is rebuilt.
pub(crate) const SCHEMA_VERSION: &str = "7";

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub year: Field,
    pub group: Field,
    pub date: Field,
    pub date_key: Field,
    pub number: Field,
    pub title: Field,
    pub programme: Field,
    pub learners: Field,
    pub person: Field,
    pub text: Field,
    pub box_path: Field,
    pub file: Field,
    pub case_index: Field,
    pub period: Field,
    pub epk: Field,
    pub status: Field,
    pub note: Field,
    /// Latest event date recorded on the document (yyyymmdd; 0 = none), for periods
    /// counted "N years after EVENT".
    pub event_key: Field,
    // Learner records (search::dossier, search::certificate).
    /// What a dossier shows of the document, one columnar value (no stored-text load).
    pub card: Field,
    /// One columnar value per learner result the document states.
    pub result: Field,
    /// Numbers of the certificates and diplomas the document records as issued.
    pub certificate: Field,
    /// OCR state (pending, done, failed, unavailable; none without OCR), so the watcher
    /// finds pending work with one term query instead of reading every sidecar.
    pub ocr: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let string_fast = STRING | STORED | tantivy::schema::FAST;
    let num = NumericOptions::default()
        .set_indexed()
        .set_stored()
        .set_fast();
    let person_opts = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let f = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", string_fast.clone()),
        year: b.add_i64_field("year", num.clone()),
        group: b.add_text_field("group", string_fast.clone()),
        date: b.add_text_field("date", STRING | STORED),
        date_key: b.add_i64_field("date_key", num.clone()),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", text_opts.clone()),
        programme: b.add_text_field("programme", text_opts.clone()),
        learners: b.add_text_field("learners", STORED),
        person: b.add_text_field("person", person_opts),
        text: b.add_text_field("text", text_opts),
        box_path: b.add_text_field("box", STRING | STORED),
        file: b.add_text_field("file", STORED),
        case_index: b.add_text_field("case", string_fast.clone()),
        period: b.add_text_field("period", STORED),
        epk: b.add_u64_field("epk", num),
        status: b.add_text_field("status", string_fast),
        note: b.add_text_field("note", STORED),
        event_key: b.add_i64_field(
            "event_key",
            NumericOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast(),
        ),
        card: b.add_bytes_field("card", BytesOptions::default().set_fast()),
        result: b.add_bytes_field("result", BytesOptions::default().set_fast()),
        certificate: b.add_text_field("certificate", STRING),
        ocr: b.add_text_field("ocr", STRING),
    };
    (b.build(), f)
}
