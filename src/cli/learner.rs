//! `learner` — a learner's dossier (documents by kind and date, and the results table) as
//! text, Markdown (`--format md`), JSON (`--json`) or a printable record card
//! (`--pdf FILE`); `certificate` — was a certificate or diploma with this number issued.

use std::io::{self, Write};
use std::path::Path;

use archivist::api::Dossier;
use archivist::error::Result;
use archivist::records::recordcard::row_cells;
use archivist::search::{CertificateAnswer, LIFE_CYCLE, PersonRecord, ResultRow};
use archivist::store::document::Status;

use super::render::{Render, emit, visible, write_stdout};
use super::{Ctx, exit};

/// `archivist learner NAME [--format md] [--pdf FILE]`.
pub fn learner(ctx: &Ctx, name: &str, format: &str, pdf: Option<&Path>) -> Result<i32> {
    let a = ctx.open()?;
    if let Some(path) = pdf {
        let today = chrono::Local::now().date_naive();
        let bytes = a.record_card_pdf(name, today)?;
        std::fs::write(path, &bytes).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the record card to {}: {e}; check the folder exists and is writable",
                path.display()
            )
        })?;
        return Ok(emit(
            ctx,
            &CardWritten {
                query: name.to_string(),
                pdf: path.to_path_buf(),
            },
        ));
    }
    let d = a.dossier(name)?;
    if format == "md" && !ctx.json {
        let mut buf = Vec::new();
        dossier_markdown(&d, &mut buf)
            .map_err(|e| anyhow::anyhow!("cannot render the dossier: {e}"))?;
        write_stdout(visible(&String::from_utf8_lossy(&buf)).as_bytes());
        return Ok(d.code());
    }
    Ok(emit(ctx, &d))
}

#[derive(serde::Serialize)]
struct CardWritten {
    query: String,
    pdf: std::path::PathBuf,
}

impl Render for CardWritten {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "record card of {:?} written to {}",
            self.query,
            self.pdf.display()
        )
    }
}

impl Render for Dossier {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        dossier_text(self, w)
    }
    fn code(&self) -> i32 {
        if self.people.is_empty() {
            exit::NOT_FOUND
        } else {
            exit::OK
        }
    }
}

impl Render for CertificateAnswer {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        certificate_text(self, w)
    }
    fn code(&self) -> i32 {
        if self.issued {
            exit::OK
        } else {
            exit::NOT_FOUND
        }
    }
}

/// `archivist certificate NUMBER`.
pub fn certificate(ctx: &Ctx, number: &str) -> Result<i32> {
    Ok(emit(ctx, &ctx.open()?.certificate(number)?))
}

/// Text from a document (a name, a title) on one line, control characters visible.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => " ".to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn kind_name<'a>(d: &'a Dossier, kind: &'a str) -> &'a str {
    d.kind_names.get(kind).map_or(kind, String::as_str)
}

/// The kinds of a person's documents in life-cycle order, others after.
fn kinds_of(p: &PersonRecord) -> Vec<&str> {
    let mut kinds: Vec<&str> = LIFE_CYCLE.to_vec();
    for d in &p.documents {
        if !kinds.contains(&d.kind.as_str()) {
            kinds.push(&d.kind);
        }
    }
    kinds
        .into_iter()
        .filter(|k| p.documents.iter().any(|d| d.kind == *k))
        .collect()
}

/// One results row as text lines, each value with the document it came from.
fn result_lines(i: usize, r: &ResultRow) -> Vec<String> {
    let [programme, group, dates, result, certificate, _] = row_cells(r);
    let from = |gave: &str| -> String {
        let s: Vec<String> = r
            .sources
            .iter()
            .filter(|s| s.gave == gave)
            .map(|s| {
                let mut t = s.kind.clone();
                if let Some(n) = &s.number {
                    t.push_str(&format!(" № {}", clean(n)));
                }
                if let Some(d) = s.date {
                    t.push_str(&format!(" of {}", d.format("%Y-%m-%d")));
                }
                t.push_str(&format!(", id {}", &s.id[..12.min(s.id.len())]));
                t
            })
            .collect();
        if s.is_empty() {
            String::new()
        } else {
            format!("  [{}]", s.join("; "))
        }
    };
    let mut v = vec![format!(
        "    {i}. {}, group {}, {}{}{}",
        clean(&programme),
        clean(&group),
        dates,
        from("enrolment"),
        from("completion")
    )];
    if r.result.is_some() {
        v.push(format!(
            "       result: {}{}",
            clean(&result),
            from("result")
        ));
    }
    if r.certificate.is_some() {
        v.push(format!(
            "       certificate: {}{}",
            clean(&certificate),
            from("certificate")
        ));
    }
    v
}

/// The dossier as text: each person, their results, their documents by kind.
pub fn dossier_text(d: &Dossier, w: &mut dyn Write) -> io::Result<()> {
    if d.people.is_empty() {
        return writeln!(w, "no documents name {:?}", d.query);
    }
    for p in &d.people {
        writeln!(
            w,
            "{}  ({} document(s); token {}; written as: {})",
            clean(&p.name),
            p.documents.len(),
            p.token,
            clean(&p.forms.join("; "))
        )?;
        if !p.results.is_empty() {
            writeln!(w, "  Results")?;
            for (i, r) in p.results.iter().enumerate() {
                for l in result_lines(i + 1, r) {
                    writeln!(w, "{l}")?;
                }
            }
        }
        for kind in kinds_of(p) {
            writeln!(w, "  {}", clean(kind_name(d, kind)))?;
            for doc in p.documents.iter().filter(|x| x.kind == kind) {
                let status = if doc.status == Status::Active {
                    String::new()
                } else {
                    format!(
                        "  {} {}",
                        doc.status,
                        clean(doc.note.as_deref().unwrap_or(""))
                    )
                };
                let approx = if doc.matched.starts_with("name (") {
                    format!("  [{}]", clean(&doc.matched))
                } else {
                    String::new()
                };
                writeln!(
                    w,
                    "    {}  {:<8} {}  box {}{status}{approx}",
                    doc.date.as_deref().unwrap_or("—"),
                    doc.number
                        .as_deref()
                        .map(|n| format!("№ {}", clean(n)))
                        .unwrap_or_default(),
                    clean(doc.title.as_deref().unwrap_or("")),
                    doc.box_path,
                )?;
            }
        }
    }
    Ok(())
}

/// A Markdown table cell: one line, pipes escaped.
fn md(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

/// The dossier as Markdown, for the record: results table, then documents by kind.
pub fn dossier_markdown(d: &Dossier, w: &mut dyn Write) -> io::Result<()> {
    if d.people.is_empty() {
        return writeln!(w, "Документов, в которых назван «{}», нет.", md(&d.query));
    }
    for p in &d.people {
        writeln!(w, "# Индивидуальный учёт результатов: {}\n", md(&p.name))?;
        writeln!(w, "Формы имени в документах: {}\n", md(&p.forms.join("; ")))?;
        writeln!(w, "## Результаты обучения\n")?;
        if p.results.is_empty() {
            writeln!(w, "В документах архива результатов не найдено.\n")?;
        } else {
            writeln!(
                w,
                "| Программа (объём) | Группа | Сроки обучения | Результат | Документ об обучении | Основание |\n|---|---|---|---|---|---|"
            )?;
            for r in &p.results {
                let cells: Vec<String> = row_cells(r)
                    .iter()
                    .map(|c| c.split('\n').map(md).collect::<Vec<_>>().join("<br>"))
                    .collect();
                writeln!(w, "| {} |", cells.join(" | "))?;
            }
            writeln!(w)?;
        }
        for kind in kinds_of(p) {
            writeln!(w, "## {}\n", md(kind_name(d, kind)))?;
            writeln!(
                w,
                "| Дата | Номер | Документ | Группа | Где хранится | Статус |\n|---|---|---|---|---|---|"
            )?;
            for doc in p.documents.iter().filter(|x| x.kind == kind) {
                let status = if doc.status == Status::Active {
                    String::new()
                } else {
                    format!("{} {}", doc.status, doc.note.as_deref().unwrap_or(""))
                };
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {}/{} | {} |",
                    doc.date.as_deref().unwrap_or("—"),
                    md(doc.number.as_deref().unwrap_or("")),
                    md(doc.title.as_deref().unwrap_or("")),
                    md(doc.group.as_deref().unwrap_or("")),
                    md(&doc.box_path),
                    md(&doc.file),
                    md(&status)
                )?;
            }
            writeln!(w)?;
        }
    }
    Ok(())
}

/// The certificate answer as text.
pub fn certificate_text(a: &CertificateAnswer, w: &mut dyn Write) -> io::Result<()> {
    if !a.issued {
        return writeln!(
            w,
            "not found: no certificate or diploma numbered {:?} is recorded in the books of issue",
            clean(&a.query)
        );
    }
    for c in &a.certificates {
        let doc = &c.document;
        writeln!(
            w,
            "issued: {} {} to {}",
            clean(&doc.title),
            clean(&doc.number_text()),
            clean(&c.holder)
        )?;
        if let Some(d) = doc.date {
            writeln!(w, "  date of issue: {}", d.format("%d.%m.%Y"))?;
        }
        if let Some(r) = &doc.registration {
            writeln!(w, "  registration №: {}", clean(r))?;
        }
        if let Some(p) = &c.programme {
            let hours = c.hours.map(|h| format!(" ({h} ч.)")).unwrap_or_default();
            writeln!(w, "  programme: {}{hours}", clean(p))?;
        }
        if let Some(g) = &c.group {
            writeln!(w, "  group: {}", clean(g))?;
        }
        let s = &c.source;
        writeln!(
            w,
            "  recorded in: {} of {} (id {}), {}/{}",
            s.kind,
            s.date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            &s.id[..12.min(s.id.len())],
            s.box_path,
            s.file
        )?;
    }
    Ok(())
}
