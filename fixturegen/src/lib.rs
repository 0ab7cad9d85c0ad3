//! Synthetic "scanned paper" fixtures for the archive.
//!
//! Each generated PDF looks like what an office scanner with OCR produces: every
//! page is a grayscale JPEG of a printed Russian record (off-white paper, speckle
//! noise, a slight skew) and, unless `image_only`, an invisible text layer
//! (`3 Tr`) in a glyph-less Type0 font whose codes are Unicode code points, the
//! way Tesseract writes its PDFs. The ground truth of every file is returned as
//! [`Expected`] so tests can check classification and search.

use std::collections::HashMap;
use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, point};
use anyhow::{Context, Result};
use chrono::{Datelike, Duration, NaiveDate};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// The raster font (DejaVu Sans, free licence: fixtures/fonts/DejaVu-LICENSE.txt).
const FONT_BYTES: &[u8] = include_bytes!("../../fixtures/fonts/DejaVuSans.ttf");

pub const ORG: &str = "АНО ДПО «Учебный центр «Профессионал»»";

/// Ground truth of one generated file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expected {
    pub file: String,
    pub kind: String,
    pub year: i32,
    pub group: String,
    pub date: NaiveDate,
    pub number: Option<String>,
    pub programme: String,
    /// Nominative full names, "Иванов Иван Петрович".
    pub learners: Vec<String>,
    pub pages: u32,
    pub image_only: bool,
    /// The programme's hours, as orders and books state them.
    #[serde(default)]
    pub hours: u32,
    /// What the document states about each learner's results: the attestation result
    /// (protocols), completion (completion orders: one entry per learner, no result), the
    /// certificate or diploma issued (books of issue). Empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ExpectedResult>,
    /// With `variations`: how the heading, date and number were written (for reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// One learner's result as a generated document states it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedResult {
    /// Nominative full name.
    pub learner: String,
    /// «зачтено», «не зачтено», «отлично» … «неудовлетворительно», «85 баллов».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<ExpectedCertificate>,
}

/// A certificate or diploma entry of a generated book of issue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedCertificate {
    /// «удостоверение о повышении квалификации» / «диплом о профессиональной переподготовке».
    pub title: String,
    pub series: String,
    pub number: String,
    pub registration: String,
    pub date: NaiveDate,
}

pub struct GeneratedScan {
    pub expected: Expected,
    /// The PDF; empty in `text_only` mode.
    pub bytes: Vec<u8>,
    /// The document's text, line by line (what an ideal text layer holds).
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub seed: u64,
    pub count: usize,
    /// Raster resolution; ignored (300 is used) when `image_only`.
    pub dpi: u32,
    /// No text layer, 300 dpi, stronger noise, one page turned by 90° in multi-page docs.
    pub image_only: bool,
    pub jpeg_quality: u8,
    /// Compose the documents but render nothing (no PDF): for index benchmarks that need
    /// realistic text for very many documents.
    pub text_only: bool,
    /// Write headings, dates and numbers the many ways real offices do (letter-spaced
    /// «П Р И К А З», dates in words, «N 45», «№ 7/2», a date and number on one line) and
    /// cite older documents with their dates in the body; off by default so that
    /// `fixtures/scans` stays byte for byte what it was. The choices come from their own
    /// random stream, so everything else about a document is the same either way.
    pub variations: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            count: 14,
            dpi: 100,
            image_only: false,
            jpeg_quality: 55,
            text_only: false,
            variations: false,
        }
    }
}

/// Every kind id, in life-cycle order.
pub const KINDS: [&str; 7] = [
    "order-organisation",
    "journal",
    "test",
    "other",
    "protocol",
    "order-completion",
    "issuance-book",
];

/// Generates `opts.count` scans lazily; the same options give byte-identical output.
pub fn generate(opts: &GenOptions) -> impl Iterator<Item = Result<GeneratedScan>> {
    Generator::new(opts.clone())
}

/// A plain one-page text PDF (Helvetica, Latin text only) that is none of the archive's
/// kinds: what an office program writes, for tests that need "a real PDF nobody can
/// classify" without outside files.
pub fn plain_pdf(lines: &[&str]) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let mut ops = String::from("BT\n/F1 12 Tf\n72 770 Td\n14 TL\n");
    for l in lines {
        let escaped: String = l
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        ops.push_str(&format!("({escaped}) Tj T*\n"));
    }
    ops.push_str("ET\n");
    let content = doc.add_object(Stream::new(dictionary! {}, ops.into_bytes()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// How [`text_pdf`] renders given lines.
#[derive(Debug, Clone)]
pub struct TextPdfOptions {
    /// Seeds the paper noise and the skew.
    pub seed: u64,
    /// Raster resolution (50–600).
    pub dpi: u32,
    /// No text layer: the page is an image only, for OCR.
    pub image_only: bool,
    pub jpeg_quality: u8,
    /// The PDF's creation date.
    pub date: NaiveDate,
}

/// A scanned-looking PDF of the given lines, in the fixtures' font and page layout: one
/// printed line per line (a line too wide for the page wraps at a space), pages added as
/// needed, a text layer that holds exactly these lines unless `image_only`. For tests and
/// benches that write their own documents (e.g. the learner-names harness).
pub fn text_pdf(lines: &[String], opts: &TextPdfOptions) -> Result<Vec<u8>> {
    let metrics = Metrics::new();
    let mut cache: GlyphCache = HashMap::new();
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let mut layout = Layout::new(&metrics);
    for line in lines {
        if line.trim().is_empty() {
            layout.gap(BODY * 0.6);
        } else {
            layout.para(line, BODY, 0.0);
        }
    }
    let dpi = opts.dpi.clamp(50, 600);
    let mut pdf_pages = Vec::with_capacity(layout.pages.len());
    for lines in &layout.pages {
        let deg = rng.f32() * 0.4 + 0.1;
        let skew = Skew::new(if rng.bool() { deg } else { -deg });
        let raster = render_page(lines, dpi, skew, false, &metrics, &mut cache, &mut rng);
        let text_ops = if opts.image_only {
            Vec::new()
        } else {
            text_layer(lines, skew, &metrics)
        };
        pdf_pages.push(PdfPage {
            jpeg: encode_jpeg(&raster, opts.jpeg_quality)?,
            px_w: raster.px_w,
            px_h: raster.px_h,
            w_pt: PAGE_W,
            h_pt: PAGE_H,
            text_ops,
        });
    }
    build_pdf(&pdf_pages, opts.date)
}

/// Writes `scan_NNNN.pdf` files and `expected.json` into `dir`.
pub fn write_set(dir: &Path, opts: &GenOptions) -> Result<Vec<Expected>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut all = Vec::with_capacity(opts.count);
    for scan in generate(opts) {
        let scan = scan?;
        let path = dir.join(&scan.expected.file);
        std::fs::write(&path, &scan.bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        all.push(scan.expected);
    }
    let json = serde_json::to_string_pretty(&all)?;
    let path = dir.join("expected.json");
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(all)
}

// ---------------------------------------------------------------------------
// Names and declension
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Nom,
    Gen,
    Dat,
    Acc,
    Ins,
}

/// Learner surnames in the masculine form; feminine forms are derived.
/// Index 0 (Иванов) is reserved for the fixed learners so search tests stay unambiguous.
/// Disjoint from [`STAFF`].
const SURNAMES: [&str; 44] = [
    "Иванов",
    "Сидоров",
    "Королёв",
    "Семёнов",
    "Фёдоров",
    "Соколов",
    "Попов",
    "Волков",
    "Морозов",
    "Новиков",
    "Козлов",
    "Лебедев",
    "Зайцев",
    "Медведев",
    "Васильев",
    "Никитин",
    "Захаров",
    "Павлов",
    "Макаров",
    "Степанов",
    "Орлов",
    "Андреев",
    "Яковлев",
    "Григорьев",
    "Киселёв",
    "Ильин",
    "Голубев",
    "Виноградов",
    "Богданов",
    "Воробьёв",
    "Калинин",
    "Фомин",
    "Карпов",
    "Сорокин",
    "Жуков",
    "Ковалевский",
    "Вишневский",
    "Каменский",
    "Белецкий",
    "Черных",
    "Седых",
    "Шевченко",
    "Ковальчук",
    "Мельник",
];
const MALE_NAMES: [&str; 16] = [
    "Иван",
    "Алексей",
    "Сергей",
    "Андрей",
    "Дмитрий",
    "Артём",
    "Николай",
    "Максим",
    "Роман",
    "Олег",
    "Антон",
    "Денис",
    "Виктор",
    "Егор",
    "Евгений",
    "Семён",
];
const FEMALE_NAMES: [&str; 16] = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Ирина",
    "Светлана",
    "Татьяна",
    "Алёна",
    "Ксения",
    "Екатерина",
    "Марина",
    "Юлия",
    "Дарья",
    "Надежда",
    "Вера",
];
/// (masculine, feminine) patronymics.
const PATRONYMICS: [(&str, &str); 13] = [
    ("Петрович", "Петровна"),
    ("Сергеевич", "Сергеевна"),
    ("Алексеевич", "Алексеевна"),
    ("Иванович", "Ивановна"),
    ("Викторович", "Викторовна"),
    ("Андреевич", "Андреевна"),
    ("Николаевич", "Николаевна"),
    ("Фёдорович", "Фёдоровна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Олегович", "Олеговна"),
    ("Семёнович", "Семёновна"),
    ("Михайлович", "Михайловна"),
    ("Юрьевич", "Юрьевна"),
];
/// Staff appear in signatures only; their surnames never occur among learners.
const STAFF: [&str; 6] = [
    "К. Л. Смирнов",
    "Петров В. В.",
    "Белова Т. Н.",
    "Громов Д. А.",
    "Тихонова Е. А.",
    "Крылова М. С.",
];
const DIRECTOR: &str = "К. Л. Смирнов";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// Masculine surname from [`SURNAMES`].
    pub surname: &'static str,
    pub female: bool,
    pub first: &'static str,
    pub patronymic: &'static str,
}

impl Learner {
    pub fn full(&self, case: Case) -> String {
        format!(
            "{} {} {}",
            decline_surname(self.surname, self.female, case),
            decline_first(self.first, self.female, case),
            decline_patronymic(self.patronymic, case)
        )
    }
    /// "Иванову И. П."
    pub fn short(&self, case: Case) -> String {
        format!(
            "{} {}. {}.",
            decline_surname(self.surname, self.female, case),
            initial(self.first),
            initial(self.patronymic)
        )
    }
    fn sort_key(&self) -> String {
        self.full(Case::Nom).replace('ё', "е")
    }
}

fn initial(s: &str) -> char {
    s.chars().next().unwrap_or('?')
}

/// Regular surname patterns only: -ов/-ев/-ёв/-ин/-ын, -ский/-цкий, indeclinable
/// -ых/-их/-о, and hard-consonant surnames that decline for men only.
pub fn decline_surname(male: &str, female: bool, case: Case) -> String {
    use Case::*;
    if let Some(stem) = male
        .strip_suffix("ий")
        .filter(|s| s.ends_with("ск") || s.ends_with("цк"))
    {
        let end = match (female, case) {
            (false, Nom) => "ий",
            (false, Gen | Acc) => "ого",
            (false, Dat) => "ому",
            (false, Ins) => "им",
            (true, Nom) => "ая",
            (true, Acc) => "ую",
            (true, _) => "ой",
        };
        return format!("{stem}{end}");
    }
    if ["ов", "ев", "ёв", "ин", "ын"]
        .iter()
        .any(|s| male.ends_with(s))
    {
        let end = match (female, case) {
            (false, Nom) => "",
            (false, Gen | Acc) => "а",
            (false, Dat) => "у",
            (false, Ins) => "ым",
            (true, Nom) => "а",
            (true, Acc) => "у",
            (true, _) => "ой",
        };
        return format!("{male}{end}");
    }
    if female || male.ends_with("ых") || male.ends_with("их") || male.ends_with('о') {
        return male.to_string();
    }
    let end = match case {
        Nom => "",
        Gen | Acc => "а",
        Dat => "у",
        Ins => "ом",
    };
    format!("{male}{end}")
}

pub fn decline_first(name: &str, female: bool, case: Case) -> String {
    use Case::*;
    if !female {
        if let Some(stem) = name.strip_suffix('й') {
            let end = match case {
                Nom => "й",
                Gen | Acc => "я",
                Dat => "ю",
                Ins => "ем",
            };
            return format!("{stem}{end}");
        }
        let end = match case {
            Nom => "",
            Gen | Acc => "а",
            Dat => "у",
            Ins => "ом",
        };
        return format!("{name}{end}");
    }
    if let Some(stem) = name.strip_suffix("ия") {
        let end = match case {
            Nom => "ия",
            Gen | Dat => "ии",
            Acc => "ию",
            Ins => "ией",
        };
        return format!("{stem}{end}");
    }
    if let Some(stem) = name.strip_suffix('я') {
        let end = match case {
            Nom => "я",
            Gen => "и",
            Dat => "е",
            Acc => "ю",
            Ins => "ей",
        };
        return format!("{stem}{end}");
    }
    if let Some(stem) = name.strip_suffix('а') {
        // Spelling rule: no ы after velars and hushers.
        let soft = stem.ends_with(['г', 'к', 'х', 'ж', 'ш', 'ч', 'щ']);
        let end = match case {
            Nom => "а",
            Gen if soft => "и",
            Gen => "ы",
            Dat => "е",
            Acc => "у",
            Ins => "ой",
        };
        return format!("{stem}{end}");
    }
    name.to_string()
}

pub fn decline_patronymic(p: &str, case: Case) -> String {
    use Case::*;
    if let Some(stem) = p.strip_suffix('а') {
        let end = match case {
            Nom => "а",
            Gen => "ы",
            Dat => "е",
            Acc => "у",
            Ins => "ой",
        };
        return format!("{stem}{end}");
    }
    let end = match case {
        Nom => "",
        Gen | Acc => "а",
        Dat => "у",
        Ins => "ем",
    };
    format!("{p}{end}")
}

/// Learners pinned into the first groups so every set has the search edge cases:
/// same surname with different initials (groups 0 and 1), a male/female pair on
/// one stem (Иванов / Иванова), and ё in surname, name and patronymic.
fn pinned_learners(group_idx: usize) -> Vec<Learner> {
    let l = |surname, female, first, patronymic| Learner {
        surname,
        female,
        first,
        patronymic,
    };
    match group_idx {
        0 => vec![
            l("Иванов", false, "Иван", "Петрович"),
            l("Семёнов", true, "Алёна", "Фёдоровна"),
            l("Сидоров", true, "Анна", "Сергеевна"),
        ],
        1 => vec![
            l("Иванов", false, "Алексей", "Сергеевич"),
            l("Королёв", false, "Артём", "Викторович"),
        ],
        2 => vec![
            l("Иванов", true, "Мария", "Петровна"),
            l("Фёдоров", false, "Семён", "Олегович"),
        ],
        _ => Vec::new(),
    }
}

fn random_learner(rng: &mut fastrand::Rng) -> Learner {
    let female = rng.bool();
    Learner {
        // Skip index 0: Иванов is reserved for the pinned learners.
        surname: SURNAMES[rng.usize(1..SURNAMES.len())],
        female,
        first: if female {
            FEMALE_NAMES[rng.usize(..FEMALE_NAMES.len())]
        } else {
            MALE_NAMES[rng.usize(..MALE_NAMES.len())]
        },
        patronymic: {
            let (m, f) = PATRONYMICS[rng.usize(..PATRONYMICS.len())];
            if female { f } else { m }
        },
    }
}

// ---------------------------------------------------------------------------
// Groups and the document plan
// ---------------------------------------------------------------------------

/// (name, hours)
const PK_PROGRAMMES: [(&str, u32); 6] = [
    (
        "Охрана труда для руководителей и специалистов организаций",
        40,
    ),
    ("Оказание первой помощи пострадавшим на производстве", 16),
    (
        "Управление государственными и муниципальными закупками",
        144,
    ),
    ("Пожарная безопасность для ответственных лиц", 72),
    ("Электробезопасность для электротехнического персонала", 72),
    ("Делопроизводство и архивное дело в организации", 36),
];
const PP_PROGRAMMES: [(&str, u32); 4] = [
    ("Управление персоналом", 260),
    ("Специалист в области охраны труда", 256),
    ("Бухгалтерский учет, анализ и аудит", 280),
    ("Педагог дополнительного образования", 288),
];

#[derive(Debug, Clone)]
struct Group {
    code: String,
    pp: bool,
    programme: &'static str,
    hours: u32,
    learners: Vec<Learner>,
    /// Parallel to `learners`: passed the final attestation.
    passed: Vec<bool>,
    order_in_date: NaiveDate,
    start: NaiveDate,
    end: NaiveDate,
    protocol_date: NaiveDate,
    issue_date: NaiveDate,
    order_in_no: String,
    order_out_no: String,
    protocol_no: String,
    /// Remaining documents, in life-cycle order.
    plan: std::collections::VecDeque<DocPlan>,
}

#[derive(Debug, Clone, Copy)]
enum DocPlan {
    OrderIn,
    Journal,
    /// Test of learner at index, on date.
    Test(usize, NaiveDate),
    Other(usize, NaiveDate, u32),
    Protocol,
    OrderOut,
    Book,
}

fn group_phrase(pp: bool) -> &'static str {
    if pp {
        "профессиональной переподготовки"
    } else {
        "повышения квалификации"
    }
}

fn rand_date_between(rng: &mut fastrand::Rng, a: NaiveDate, b: NaiveDate) -> NaiveDate {
    let span = (b - a).num_days().max(0);
    a + Duration::days(rng.i64(0..=span))
}

fn make_group(idx: usize, year: i32, seq: u32, pp: bool, rng: &mut fastrand::Rng) -> Group {
    let (programme, hours) = if pp {
        PP_PROGRAMMES[rng.usize(..PP_PROGRAMMES.len())]
    } else {
        PK_PROGRAMMES[rng.usize(..PK_PROGRAMMES.len())]
    };
    // Keep the whole life cycle inside one calendar year.
    let start_month = if pp { rng.u32(1..=7) } else { rng.u32(1..=10) };
    let start =
        NaiveDate::from_ymd_opt(year, start_month, rng.u32(5..=25)).unwrap_or(NaiveDate::MIN);
    let duration = if pp {
        rng.i64(80..=120)
    } else {
        rng.i64(14..=50)
    };
    let end = start + Duration::days(duration);
    let protocol_date = end - Duration::days(rng.i64(1..=3));
    let issue_date = end + Duration::days(rng.i64(0..=2));
    let order_in_date = start - Duration::days(rng.i64(0..=3));

    let mut learners = pinned_learners(idx);
    let n = rng.usize(4..=12);
    while learners.len() < n {
        let l = random_learner(rng);
        let clash = learners
            .iter()
            .any(|o| o.surname == l.surname && o.female == l.female);
        if !clash {
            learners.push(l);
        }
    }
    learners.sort_by_key(Learner::sort_key);
    // Pinned learners always pass so they appear in every document of their group.
    let pinned = pinned_learners(idx);
    let passed = learners
        .iter()
        .map(|l| pinned.contains(l) || rng.u8(..10) != 0)
        .collect();

    let order_base = 8 + 6 * seq + rng.u32(0..5);
    let mut plan = std::collections::VecDeque::new();
    plan.push_back(DocPlan::OrderIn);
    plan.push_back(DocPlan::Journal);
    // The first group always carries exactly one test and one справка, so that the
    // first 14 documents of any set cover all seven kinds (see `Generator::next`).
    let tests = if idx == 0 { 1 } else { rng.usize(1..=2) };
    for _ in 0..tests {
        let who = rng.usize(..learners.len());
        let d = rand_date_between(
            rng,
            start + Duration::days(3),
            protocol_date - Duration::days(1),
        );
        plan.push_back(DocPlan::Test(who, d));
    }
    if idx == 0 || rng.u8(..10) < 3 {
        let who = rng.usize(..learners.len());
        let d = rand_date_between(
            rng,
            start + Duration::days(1),
            protocol_date - Duration::days(1),
        );
        plan.push_back(DocPlan::Other(who, d, rng.u32(3..=90)));
    }
    plan.push_back(DocPlan::Protocol);
    plan.push_back(DocPlan::OrderOut);
    plan.push_back(DocPlan::Book);

    Group {
        code: format!("{}-{}-{:03}", if pp { "ПП" } else { "ПК" }, year, seq),
        pp,
        programme,
        hours,
        learners,
        passed,
        order_in_date,
        start,
        end,
        protocol_date,
        issue_date,
        order_in_no: format!("{order_base}-у"),
        order_out_no: format!("{}-у", order_base + rng.u32(3..=9)),
        protocol_no: format!("{}", seq + rng.u32(0..4)),
        plan,
    }
}

// ---------------------------------------------------------------------------
// Page layout (in PDF points, y measured downwards from the top edge)
// ---------------------------------------------------------------------------

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_L: f32 = 70.0;
const MARGIN_R: f32 = 45.0;
const MARGIN_T: f32 = 55.0;
const MARGIN_B: f32 = 60.0;
const BODY: f32 = 11.0;
const SMALL: f32 = 9.0;
const TITLE: f32 = 14.0;

#[derive(Debug, Clone)]
struct Line {
    /// (x of the segment start, text); tabular rows have several segments.
    segs: Vec<(f32, String)>,
    size: f32,
    baseline: f32,
}

struct Layout<'a> {
    metrics: &'a Metrics,
    pages: Vec<Vec<Line>>,
    y: f32,
}

/// Advance widths straight from the font so layout, raster and text layer agree.
struct Metrics {
    font: FontRef<'static>,
    upem: f32,
}

impl Metrics {
    fn new() -> Self {
        let font =
            FontRef::try_from_slice(FONT_BYTES).expect("embedded DejaVuSans.ttf is a valid font");
        let upem = font.units_per_em().unwrap_or(2048.0);
        Metrics { font, upem }
    }
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.font.h_advance_unscaled(self.font.glyph_id(c)))
            .sum::<f32>()
            * size
            / self.upem
    }
}

impl<'a> Layout<'a> {
    fn new(metrics: &'a Metrics) -> Self {
        Layout {
            metrics,
            pages: vec![Vec::new()],
            y: MARGIN_T,
        }
    }
    fn text_w() -> f32 {
        PAGE_W - MARGIN_L - MARGIN_R
    }
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_T;
    }
    fn push(&mut self, segs: Vec<(f32, String)>, size: f32) {
        let adv = size * 1.45;
        if self.y + adv > PAGE_H - MARGIN_B {
            self.new_page();
        }
        let baseline = self.y + size;
        self.y += adv;
        if let Some(page) = self.pages.last_mut() {
            page.push(Line {
                segs,
                size,
                baseline,
            });
        }
    }
    fn gap(&mut self, pt: f32) {
        self.y += pt;
    }
    fn center(&mut self, text: &str, size: f32) {
        let w = self.metrics.width(text, size);
        let x = MARGIN_L + (Self::text_w() - w) / 2.0;
        self.push(vec![(x, text.to_string())], size);
    }
    fn right(&mut self, text: &str, size: f32) {
        let w = self.metrics.width(text, size);
        self.push(vec![(PAGE_W - MARGIN_R - w, text.to_string())], size);
    }
    fn left(&mut self, text: &str, size: f32, indent: f32) {
        self.push(vec![(MARGIN_L + indent, text.to_string())], size);
    }
    /// Columns at offsets from the left margin.
    fn cols(&mut self, cols: &[(f32, String)], size: f32) {
        let segs = cols
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(x, t)| (MARGIN_L + x, t.clone()))
            .collect();
        self.push(segs, size);
    }
    /// Word-wrapped paragraph with a first-line indent.
    fn para(&mut self, text: &str, size: f32, first_indent: f32) {
        let space = self.metrics.width(" ", size);
        let mut line = String::new();
        let mut w = 0.0;
        let mut indent = first_indent;
        for word in text.split_whitespace() {
            let ww = self.metrics.width(word, size);
            if !line.is_empty() && indent + w + space + ww > Self::text_w() {
                self.left(&line, size, indent);
                line.clear();
                w = 0.0;
                indent = 0.0;
            }
            if !line.is_empty() {
                line.push(' ');
                w += space;
            }
            line.push_str(word);
            w += ww;
        }
        if !line.is_empty() {
            self.left(&line, size, indent);
        }
    }
    fn signature(&mut self, role: &str, name: &str) {
        self.cols(
            &[
                (0.0, role.to_string()),
                (250.0, "____________".to_string()),
                (340.0, name.to_string()),
            ],
            BODY,
        );
    }
}

fn d(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}
fn dm(date: NaiveDate) -> String {
    date.format("%d.%m").to_string()
}

fn programme_phrase(g: &Group) -> String {
    format!(
        "дополнительной профессиональной программе {} «{}» ({} ч.)",
        group_phrase(g.pp),
        g.programme,
        g.hours
    )
}

// ---------------------------------------------------------------------------
// Variations: how real offices write headings, dates and numbers
// ---------------------------------------------------------------------------

/// How the title word is set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Heading {
    /// «ПРИКАЗ»
    Plain,
    /// «П Р И К А З»
    Spaced,
    /// «ПРИКАЗ № 45-у» (orders) or «ПРОТОКОЛ № 3 заседания …» (protocols) on one line.
    Inline,
}

/// How the document's own date is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DateStyle {
    /// «от 15.03.2024 г.»
    Numeric,
    /// «от «15» марта 2024 г.»
    Quoted,
    /// «15 марта 2024 г.»
    Words,
    /// «2024-03-15»
    Iso,
}

/// One document's choices, drawn from a stream of their own (see `GenOptions::variations`).
#[derive(Debug, Clone)]
struct Variation {
    heading: Heading,
    date: DateStyle,
    /// Date on the left and number on the right of one line, as on printed order forms.
    split: bool,
    /// «N» for «№».
    latin_n: bool,
    /// 0: as planned («45-у»); 1: «45-ОД»; 2: «45/2»; 3: «257-ПП»-like two-letter suffix.
    number_shape: u8,
    /// Cite an older document with its date in the body.
    cited: bool,
    /// Which older document is cited, and how its date is written.
    cite_pick: usize,
    cite_words: bool,
}

const CITED: [(&str, (i32, u32, u32), &str); 4] = [
    (
        "Федеральным законом",
        (2012, 12, 29),
        "273-ФЗ «Об образовании в Российской Федерации»",
    ),
    (
        "приказом Минобрнауки России",
        (2013, 7, 1),
        "499 «Об утверждении Порядка организации и осуществления образовательной деятельности по дополнительным профессиональным программам»",
    ),
    (
        "постановлением Правительства Российской Федерации",
        (2014, 5, 14),
        "257-ПП",
    ),
    (
        "Уставом организации, утвержденным решением учредителя",
        (2016, 11, 3),
        "2",
    ),
];

impl Variation {
    fn draw(rng: &mut fastrand::Rng) -> Variation {
        let heading = match rng.u8(..3) {
            0 => Heading::Plain,
            1 => Heading::Spaced,
            _ => Heading::Inline,
        };
        let date = match rng.u8(..4) {
            0 => DateStyle::Numeric,
            1 => DateStyle::Quoted,
            2 => DateStyle::Words,
            _ => DateStyle::Iso,
        };
        Variation {
            heading,
            date,
            split: heading != Heading::Inline && rng.u8(..3) == 0,
            latin_n: rng.u8(..4) == 0,
            number_shape: rng.u8(..4),
            cited: rng.u8(..3) != 0,
            cite_pick: rng.usize(..CITED.len()),
            cite_words: rng.bool(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "heading {:?}, date {:?}{}{}, number shape {}{}",
            self.heading,
            self.date,
            if self.split { ", date|number line" } else { "" },
            if self.latin_n { ", N for №" } else { "" },
            self.number_shape,
            if self.cited {
                ", cites an older date"
            } else {
                ""
            }
        )
    }

    fn sign(&self) -> &'static str {
        if self.latin_n { "N" } else { "№" }
    }

    /// The document's own number in this variation's shape.
    fn number(&self, planned: &str) -> String {
        let base: String = planned.chars().take_while(char::is_ascii_digit).collect();
        match self.number_shape {
            1 => format!("{base}-ОД"),
            2 => format!("{base}/2"),
            3 if planned.contains('-') => format!("{base}-ПК"),
            _ => planned.to_string(),
        }
    }

    fn title(&self, word: &str) -> String {
        match self.heading {
            Heading::Spaced => spaced(word),
            _ => word.to_string(),
        }
    }

    /// The date as this variation writes it, with «от» where the style has it.
    fn date_text(&self, date: NaiveDate, with_from: bool) -> String {
        let from = if with_from { "от " } else { "" };
        match self.date {
            DateStyle::Numeric => format!("{from}{} г.", d(date)),
            DateStyle::Quoted => format!(
                "{from}«{:02}» {} {} г.",
                date.day(),
                MONTHS_GENITIVE[date.month0() as usize],
                date.year()
            ),
            DateStyle::Words => format!(
                "{} {} {} г.",
                date.day(),
                MONTHS_GENITIVE[date.month0() as usize],
                date.year()
            ),
            DateStyle::Iso => format!("{from}{}", date.format("%Y-%m-%d")),
        }
    }

    /// Title, number and date of an order.
    fn order_head(&self, l: &mut Layout<'_>, no: &str, date: NaiveDate) {
        let sign = self.sign();
        if self.heading == Heading::Inline {
            l.center(&format!("ПРИКАЗ {sign} {no}"), TITLE);
            l.center(&self.date_text(date, true), BODY);
        } else if self.split {
            l.center(&self.title("ПРИКАЗ"), TITLE);
            l.gap(6.0);
            l.cols(
                &[
                    (0.0, self.date_text(date, false)),
                    (360.0, format!("{sign} {no}")),
                ],
                BODY,
            );
            l.center("г. Москва", BODY);
        } else {
            l.center(&self.title("ПРИКАЗ"), TITLE);
            l.center(&format!("{sign} {no} {}", self.date_text(date, true)), BODY);
        }
    }

    /// «В соответствии с … от 14 мая 2014 г. № 257-ПП, » or nothing.
    fn citation(&self) -> String {
        if !self.cited {
            return String::new();
        }
        let (who, (y, m, dd), what) = CITED[self.cite_pick];
        let date = NaiveDate::from_ymd_opt(y, m, dd).unwrap_or(NaiveDate::MIN);
        let when = if self.cite_words {
            format!("{dd} {} {y} г.", MONTHS_GENITIVE[date.month0() as usize])
        } else {
            d(date)
        };
        format!("В соответствии с {who} от {when} № {what}, ")
    }
}

const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// «ПРИКАЗ» → «П Р И К А З».
fn spaced(word: &str) -> String {
    word.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

/// Text of one document plus its ground truth (file/pages filled in later).
struct DocText {
    pages: Vec<Vec<Line>>,
    kind: &'static str,
    date: NaiveDate,
    number: Option<String>,
    learners: Vec<String>,
    results: Vec<ExpectedResult>,
}

/// Retraining (ПП) groups are graded: in words for even group numbers, in points for odd
/// ones. Chosen by a hash of the group and the learner, not by the document's random
/// stream, so every other document stays as it was.
fn pp_result(g: &Group, who: &Learner, passed: bool) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{}{}", g.code, who.full(Case::Nom)).bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let in_words = g.code.ends_with(['0', '2', '4', '6', '8']);
    match (in_words, passed) {
        (true, true) => ["отлично", "хорошо", "удовлетворительно"][(h % 3) as usize].to_string(),
        (true, false) => "неудовлетворительно".to_string(),
        (false, true) => format!("{} баллов", 60 + h % 41),
        (false, false) => format!("{} баллов", 20 + h % 35),
    }
}

fn result_entry(who: &Learner, result: Option<String>) -> ExpectedResult {
    ExpectedResult {
        learner: who.full(Case::Nom),
        result,
        certificate: None,
    }
}

fn compose(
    plan: DocPlan,
    g: &Group,
    m: &Metrics,
    rng: &mut fastrand::Rng,
    var: Option<&Variation>,
) -> DocText {
    let mut l = Layout::new(m);
    l.center(ORG, BODY);
    l.gap(14.0);
    let everyone: Vec<String> = g.learners.iter().map(|x| x.full(Case::Nom)).collect();
    let passed: Vec<&Learner> = g
        .learners
        .iter()
        .zip(&g.passed)
        .filter(|(_, p)| **p)
        .map(|(x, _)| x)
        .collect();
    let passed_names: Vec<String> = passed.iter().map(|x| x.full(Case::Nom)).collect();
    match plan {
        DocPlan::OrderIn => {
            let number = var.map_or_else(|| g.order_in_no.clone(), |v| v.number(&g.order_in_no));
            match var {
                None => {
                    l.center("ПРИКАЗ", TITLE);
                    l.center(
                        &format!("№ {} от {} г.", g.order_in_no, d(g.order_in_date)),
                        BODY,
                    );
                }
                Some(v) => v.order_head(&mut l, &number, g.order_in_date),
            }
            l.gap(6.0);
            l.center("О зачислении слушателей на обучение", BODY);
            l.gap(10.0);
            let cite = var.map(Variation::citation).unwrap_or_default();
            let basis = if cite.is_empty() { "На" } else { "на" };
            l.para(
                &format!(
                    "{cite}{basis} основании заявлений слушателей и заключенных договоров об \
                     оказании платных образовательных услуг ПРИКАЗЫВАЮ:"
                ),
                BODY,
                28.0,
            );
            l.para(
                &format!(
                    "1. Зачислить на обучение по {} с {} в группу {} следующих слушателей:",
                    programme_phrase(g),
                    d(g.start),
                    g.code
                ),
                BODY,
                28.0,
            );
            for (i, x) in g.learners.iter().enumerate() {
                l.left(&format!("{}) {};", i + 1, x.full(Case::Acc)), BODY, 40.0);
            }
            l.para(
                &format!(
                    "2. Назначить куратором группы {} методиста {}.",
                    g.code, STAFF[5]
                ),
                BODY,
                28.0,
            );
            l.para(
                "3. Контроль за исполнением приказа оставляю за собой.",
                BODY,
                28.0,
            );
            l.gap(24.0);
            l.signature("Директор", DIRECTOR);
            DocText {
                pages: l.pages,
                kind: "order-organisation",
                date: g.order_in_date,
                number: Some(number),
                learners: everyone,
                results: g.learners.iter().map(|x| result_entry(x, None)).collect(),
            }
        }
        DocPlan::OrderOut => {
            let date = g.end;
            let number = var.map_or_else(|| g.order_out_no.clone(), |v| v.number(&g.order_out_no));
            match var {
                None => {
                    l.center("ПРИКАЗ", TITLE);
                    l.center(&format!("№ {} от {} г.", g.order_out_no, d(date)), BODY);
                }
                Some(v) => v.order_head(&mut l, &number, date),
            }
            l.gap(6.0);
            l.center("Об окончании обучения и отчислении", BODY);
            l.center("в связи с завершением обучения", BODY);
            l.gap(10.0);
            let cite = var.map(Variation::citation).unwrap_or_default();
            let basis = if cite.is_empty() { "На" } else { "на" };
            l.para(
                &format!(
                    "{cite}{basis} основании протокола заседания аттестационной комиссии от {} № {} ПРИКАЗЫВАЮ:",
                    d(g.protocol_date),
                    g.protocol_no
                ),
                BODY,
                28.0,
            );
            l.para(
                &format!(
                    "1. Считать завершившими обучение по {} и отчислить в связи с завершением \
                     обучения с {} следующих слушателей группы {}:",
                    programme_phrase(g),
                    d(date),
                    g.code
                ),
                BODY,
                28.0,
            );
            for (i, x) in passed.iter().enumerate() {
                l.left(&format!("{}) {};", i + 1, x.short(Case::Acc)), BODY, 40.0);
            }
            let doc = if g.pp {
                "дипломы о профессиональной переподготовке"
            } else {
                "удостоверения о повышении квалификации"
            };
            let dative: Vec<String> = passed.iter().map(|x| x.full(Case::Dat)).collect();
            l.para(
                &format!(
                    "2. Выдать {doc} установленного образца слушателям: {}.",
                    dative.join(", ")
                ),
                BODY,
                28.0,
            );
            l.gap(24.0);
            l.signature("Директор", DIRECTOR);
            DocText {
                pages: l.pages,
                kind: "order-completion",
                date,
                number: Some(number),
                learners: passed_names,
                results: passed.iter().map(|x| result_entry(x, None)).collect(),
            }
        }
        DocPlan::Protocol => {
            let number = var.map_or_else(|| g.protocol_no.clone(), |v| v.number(&g.protocol_no));
            match var {
                None => {
                    l.center(&format!("ПРОТОКОЛ № {}", g.protocol_no), TITLE);
                    l.center("заседания аттестационной комиссии по проверке знаний", BODY);
                    l.center("(итоговой аттестации)", BODY);
                    l.right(&format!("от {}", d(g.protocol_date)), BODY);
                }
                Some(v) => {
                    let sign = v.sign();
                    if v.heading == Heading::Inline {
                        l.center(
                            &format!("ПРОТОКОЛ {sign} {number} заседания аттестационной комиссии"),
                            BODY,
                        );
                        l.center("по проверке знаний (итоговой аттестации)", BODY);
                    } else {
                        l.center(&format!("{} {sign} {number}", v.title("ПРОТОКОЛ")), TITLE);
                        l.center("заседания аттестационной комиссии по проверке знаний", BODY);
                        l.center("(итоговой аттестации)", BODY);
                    }
                    if v.split {
                        l.cols(
                            &[
                                (0.0, "г. Москва".to_string()),
                                (330.0, v.date_text(g.protocol_date, false)),
                            ],
                            BODY,
                        );
                    } else {
                        l.right(&v.date_text(g.protocol_date, true), BODY);
                    }
                    if v.cited {
                        l.para(
                            &format!(
                                "Комиссия создана приказом директора от {} № {} в составе:",
                                d(g.order_in_date),
                                g.order_in_no
                            ),
                            BODY,
                            28.0,
                        );
                    }
                }
            }
            l.gap(8.0);
            l.para(
                &format!(
                    "Итоговая аттестация слушателей группы {} по {}.",
                    g.code,
                    programme_phrase(g)
                ),
                BODY,
                28.0,
            );
            l.para(
                &format!(
                    "Председатель комиссии: {}. Члены комиссии: {}, {}. Секретарь: {}.",
                    STAFF[1], STAFF[2], STAFF[3], STAFF[4]
                ),
                BODY,
                28.0,
            );
            l.para(
                "Форма итоговой аттестации: тестирование. РЕШИЛИ: признать результаты \
                 итоговой аттестации слушателей следующими:",
                BODY,
                28.0,
            );
            l.gap(4.0);
            l.cols(
                &[
                    (0.0, "№".into()),
                    (24.0, "Фамилия И. О.".into()),
                    (250.0, "Результат".into()),
                ],
                BODY,
            );
            let mut results = Vec::with_capacity(g.learners.len());
            for (i, (x, p)) in g.learners.iter().zip(&g.passed).enumerate() {
                let res = match (g.pp, *p) {
                    (true, _) => pp_result(g, x, *p),
                    (false, true) => "зачтено".to_string(),
                    (false, false) => "не зачтено".to_string(),
                };
                results.push(result_entry(x, Some(res.clone())));
                l.cols(
                    &[
                        (0.0, format!("{}.", i + 1)),
                        (24.0, format!("{} —", x.short(Case::Nom))),
                        (250.0, res.to_string()),
                    ],
                    BODY,
                );
            }
            l.gap(20.0);
            l.signature("Председатель комиссии", STAFF[1]);
            l.signature("Члены комиссии", STAFF[2]);
            l.signature("", STAFF[3]);
            l.signature("Секретарь", STAFF[4]);
            DocText {
                pages: l.pages,
                kind: "protocol",
                date: g.protocol_date,
                number: Some(number),
                learners: everyone,
                results,
            }
        }
        DocPlan::Book => {
            match var {
                None => {
                    l.center("КНИГА", TITLE);
                    l.center("регистрации выданных документов о квалификации", BODY);
                    l.center(&format!("от {}", d(g.issue_date)), BODY);
                }
                Some(v) => {
                    l.center(&v.title("КНИГА"), TITLE);
                    l.center("регистрации выданных документов о квалификации", BODY);
                    l.center(&v.date_text(g.issue_date, true), BODY);
                }
            }
            l.gap(6.0);
            l.left(&format!("Группа {}", g.code), BODY, 0.0);
            l.para(
                &format!("Документы выданы по {}.", programme_phrase(g)),
                BODY,
                0.0,
            );
            l.gap(6.0);
            let (doc, series) = if g.pp {
                ("диплом о профессиональной переподготовке", 7727)
            } else {
                ("удостоверение о повышении квалификации", 7724)
            };
            let (reg0, blank0) = (rng.u32(100..900), rng.u32(1000..90000));
            let mut results = Vec::with_capacity(passed.len());
            for (k, x) in (0u32..).zip(&passed) {
                let (reg, blank) = (reg0 + k, blank0 + k);
                results.push(ExpectedResult {
                    certificate: Some(ExpectedCertificate {
                        title: doc.to_string(),
                        series: format!("{series}{:02}", g.issue_date.year() % 100),
                        number: format!("{blank:06}"),
                        registration: format!("{reg:04}"),
                        date: g.issue_date,
                    }),
                    ..result_entry(x, None)
                });
                l.cols(
                    &[
                        (0.0, format!("Рег. № {reg:04}")),
                        (90.0, x.full(Case::Nom)),
                        (380.0, "подпись ______".into()),
                    ],
                    BODY,
                );
                l.left(
                    &format!(
                        "{doc} {series}{:02} № {blank:06}, дата выдачи {}, протокол от {} № {}",
                        g.issue_date.year() % 100,
                        d(g.issue_date),
                        d(g.protocol_date),
                        g.protocol_no
                    ),
                    SMALL,
                    90.0,
                );
                l.gap(3.0);
            }
            DocText {
                pages: l.pages,
                kind: "issuance-book",
                date: g.issue_date,
                number: None,
                learners: passed_names,
                results,
            }
        }
        DocPlan::Journal => {
            match var {
                None => {
                    l.center("ЖУРНАЛ", TITLE);
                    l.center("учета занятий", BODY);
                    l.center(&format!("от {}", d(g.start)), BODY);
                }
                Some(v) => {
                    l.center(&v.title("ЖУРНАЛ"), TITLE);
                    l.center("учета занятий", BODY);
                    l.center(&v.date_text(g.start, true), BODY);
                }
            }
            l.left(
                &format!("Период обучения: с {} по {}", d(g.start), d(g.end)),
                BODY,
                0.0,
            );
            l.left(&format!("Группа {}", g.code), BODY, 0.0);
            l.para(&format!("Обучение по {}.", programme_phrase(g)), BODY, 0.0);
            // Lesson dates spread evenly over the course; 9 fit on a page.
            let n_pages = 1 + rng.usize(1..=2);
            let n_dates = 9 * (n_pages.min(2));
            let span = (g.end - g.start).num_days().max(1);
            let dates: Vec<NaiveDate> = (0..n_dates as i64)
                .map(|i| g.start + Duration::days(i * span / n_dates as i64))
                .collect();
            for (p, chunk) in dates.chunks(9).enumerate() {
                if p > 0 {
                    l.new_page();
                    l.left(
                        &format!("Группа {} (продолжение журнала)", g.code),
                        BODY,
                        0.0,
                    );
                }
                l.gap(8.0);
                let mut head = vec![(0.0, "№".to_string()), (20.0, "Ф. И. О.".to_string())];
                for (k, dt) in chunk.iter().enumerate() {
                    head.push((180.0 + 33.0 * k as f32, dm(*dt)));
                }
                l.cols(&head, SMALL);
                for (i, x) in g.learners.iter().enumerate() {
                    let mut row = vec![(0.0, format!("{}.", i + 1)), (20.0, x.short(Case::Nom))];
                    for k in 0..chunk.len() {
                        let mark = match rng.u8(..12) {
                            0 => "н",
                            1 => "4",
                            2 => "5",
                            _ => "+",
                        };
                        row.push((188.0 + 33.0 * k as f32, mark.to_string()));
                    }
                    l.cols(&row, SMALL);
                }
            }
            if n_pages == 3 {
                l.new_page();
                l.left(
                    &format!("Группа {} — содержание занятий", g.code),
                    BODY,
                    0.0,
                );
                l.gap(8.0);
                const TOPICS: [&str; 6] = [
                    "Нормативная база и основные понятия",
                    "Организация работы и обязанности должностных лиц",
                    "Практическое занятие по разбору ситуаций",
                    "Документационное обеспечение",
                    "Контроль и ответственность",
                    "Консультация перед итоговой аттестацией",
                ];
                for (k, dt) in dates.iter().enumerate() {
                    l.cols(
                        &[
                            (0.0, dm(*dt)),
                            (50.0, TOPICS[k % TOPICS.len()].to_string()),
                            (360.0, "2 ч.".to_string()),
                        ],
                        BODY,
                    );
                }
                l.gap(16.0);
                l.signature("Преподаватель", STAFF[3]);
            }
            DocText {
                pages: l.pages,
                kind: "journal",
                date: g.start,
                number: None,
                learners: everyone,
                results: Vec::new(),
            }
        }
        DocPlan::Test(who, date) => {
            let x = &g.learners[who];
            l.center("Работа промежуточной аттестации (тест)", TITLE);
            match var {
                None => l.center(&format!("от {}", d(date)), BODY),
                Some(v) => l.center(&v.date_text(date, true), BODY),
            }
            l.gap(8.0);
            l.left(&format!("Слушатель: {}", x.full(Case::Nom)), BODY, 0.0);
            l.left(&format!("Группа: {}", g.code), BODY, 0.0);
            l.para(&format!("Обучение по {}.", programme_phrase(g)), BODY, 0.0);
            l.gap(8.0);
            const QA: [(&str, &str); 6] = [
                (
                    "Кто несет ответственность за организацию работы в подразделении?",
                    "б) руководитель подразделения",
                ),
                (
                    "Как часто проводится повторный инструктаж?",
                    "в) не реже одного раза в шесть месяцев",
                ),
                (
                    "Какой документ подтверждает прохождение обучения?",
                    "а) удостоверение установленного образца",
                ),
                (
                    "Что входит в обязанности работника?",
                    "г) соблюдение требований инструкций",
                ),
                (
                    "Кем утверждается программа обучения?",
                    "а) руководителем организации",
                ),
                (
                    "В какой срок проводится проверка знаний?",
                    "б) в течение месяца после назначения",
                ),
            ];
            let first = rng.usize(..QA.len());
            for k in 0..4 {
                let (q, a) = QA[(first + k) % QA.len()];
                l.para(&format!("{}. {q}", k + 1), BODY, 0.0);
                l.left(&format!("Ответ: {a}"), BODY, 20.0);
            }
            l.gap(8.0);
            let score = rng.u32(7..=10);
            l.left(&format!("Результат: {score} из 10 — зачтено"), BODY, 0.0);
            l.gap(12.0);
            l.signature("Проверил", STAFF[3]);
            DocText {
                pages: l.pages,
                kind: "test",
                date,
                number: None,
                learners: vec![x.full(Case::Nom)],
                results: Vec::new(),
            }
        }
        DocPlan::Other(who, date, no) => {
            let x = &g.learners[who];
            match var {
                None => {
                    l.center(&format!("СПРАВКА об обучении № {no}"), TITLE);
                    l.center(&format!("от {}", d(date)), BODY);
                }
                Some(v) => {
                    l.center(&format!("СПРАВКА об обучении {} {no}", v.sign()), TITLE);
                    l.center(&v.date_text(date, true), BODY);
                }
            }
            l.gap(10.0);
            let she = if x.female { "она" } else { "он" };
            l.para(
                &format!(
                    "Настоящая справка выдана {} в том, что {she} действительно обучается \
                     в {ORG} в группе {} по {} в период с {} по {}.",
                    x.full(Case::Dat),
                    g.code,
                    programme_phrase(g),
                    d(g.start),
                    d(g.end)
                ),
                BODY,
                28.0,
            );
            l.para(
                "Справка выдана для предъявления по месту требования.",
                BODY,
                28.0,
            );
            l.gap(24.0);
            l.signature("Директор", DIRECTOR);
            DocText {
                pages: l.pages,
                kind: "other",
                date,
                number: Some(no.to_string()),
                learners: vec![x.full(Case::Nom)],
                results: Vec::new(),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Raster
// ---------------------------------------------------------------------------

struct GlyphBitmap {
    left: i32,
    top: i32,
    w: usize,
    h: usize,
    cov: Vec<u8>,
}

/// Rasterised glyphs keyed by (char, em size in 1/100 px); glyphs are drawn at
/// whole-pixel positions, which is invisible at scan resolutions.
type GlyphCache = HashMap<(char, u32), Option<GlyphBitmap>>;

fn glyph<'c>(
    m: &Metrics,
    cache: &'c mut GlyphCache,
    c: char,
    em_px: f32,
) -> Option<&'c GlyphBitmap> {
    let key = (c, (em_px * 100.0) as u32);
    cache
        .entry(key)
        .or_insert_with(|| {
            // ab_glyph's PxScale is the ascent-to-descent height, not the em.
            let scale = PxScale::from(em_px * m.font.height_unscaled() / m.upem);
            let g = m
                .font
                .glyph_id(c)
                .with_scale_and_position(scale, point(0.0, 0.0));
            let og = m.font.outline_glyph(g)?;
            let b = og.px_bounds();
            let (w, h) = (b.width() as usize, b.height() as usize);
            let mut cov = vec![0u8; w * h];
            og.draw(|x, y, v| {
                let i = y as usize * w + x as usize;
                if i < cov.len() {
                    cov[i] = (v.clamp(0.0, 1.0) * 255.0) as u8;
                }
            });
            Some(GlyphBitmap {
                left: b.min.x as i32,
                top: b.min.y as i32,
                w,
                h,
                cov,
            })
        })
        .as_ref()
}

struct RasterPage {
    px_w: u32,
    px_h: u32,
    gray: Vec<u8>,
}

/// Cheap xorshift for per-pixel noise: this loop runs in the caller's (possibly
/// unoptimised) crate, so it must stay minimal.
struct XorShift(u32);
impl XorShift {
    #[inline]
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Rotation about the page centre in y-down coordinates (positive = clockwise on screen).
#[derive(Clone, Copy)]
struct Skew {
    cos: f32,
    sin: f32,
}
impl Skew {
    fn new(deg: f32) -> Self {
        let r = deg.to_radians();
        Skew {
            cos: r.cos(),
            sin: r.sin(),
        }
    }
    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0);
        let (dx, dy) = (x - cx, y - cy);
        (
            cx + dx * self.cos - dy * self.sin,
            cy + dx * self.sin + dy * self.cos,
        )
    }
}

fn render_page(
    lines: &[Line],
    dpi: u32,
    skew: Skew,
    heavy: bool,
    m: &Metrics,
    cache: &mut GlyphCache,
    rng: &mut fastrand::Rng,
) -> RasterPage {
    let k = dpi as f32 / 72.0;
    let px_w = (PAGE_W * k).round() as u32;
    let px_h = (PAGE_H * k).round() as u32;
    let (w, h) = (px_w as usize, px_h as usize);

    // Off-white paper with a gentle vertical gradient and per-pixel grain.
    let base = rng.i32(232..=242);
    let grad = rng.i32(-6..=6);
    let amp_shift = 28;
    let amp_off = 8;
    let mut xs = XorShift(rng.u32(1..) | 1);
    let mut gray = vec![0u8; w * h];
    for (y, row) in gray.chunks_exact_mut(w).enumerate() {
        let tone = base + grad * y as i32 / h as i32;
        for p in row.iter_mut() {
            let n = (xs.next() >> amp_shift) as i32 - amp_off;
            *p = (tone + n).clamp(0, 255) as u8;
        }
    }

    // Paper edge: the sheet lies slightly crooked on the darker scanner lid.
    let tan = skew.sin / skew.cos;
    let edge0 = 3.0 + 2.0 * k;
    for (y, row) in gray.chunks_exact_mut(w).enumerate() {
        let e = edge0 + (y as f32 - h as f32 / 2.0) * tan;
        let e = e.clamp(0.0, 30.0 * k) as usize;
        for p in row.iter_mut().take(e) {
            *p = p.saturating_sub(70);
        }
        let r = (edge0 - (y as f32 - h as f32 / 2.0) * tan).clamp(0.0, 30.0 * k) as usize;
        for p in row.iter_mut().rev().take(r) {
            *p = p.saturating_sub(70);
        }
    }

    // Text, glyph by glyph along the skewed baseline.
    for line in lines {
        let ink = rng.i32(20..=55);
        let em_px = line.size * k;
        for (x0, text) in &line.segs {
            let mut pen = *x0;
            for c in text.chars() {
                let adv = m.font.h_advance_unscaled(m.font.glyph_id(c)) * line.size / m.upem;
                if !c.is_whitespace() {
                    let (sx, sy) = skew.apply(pen, line.baseline);
                    if let Some(g) = glyph(m, cache, c, em_px) {
                        let ox = (sx * k).round() as i32 + g.left;
                        let oy = (sy * k).round() as i32 + g.top;
                        blit(&mut gray, w, h, g, ox, oy, ink);
                    }
                }
                pen += adv;
            }
        }
    }

    // Dust and toner specks.
    let specks = w * h / if heavy { 1500 } else { 5000 };
    for _ in 0..specks {
        let x = rng.usize(..w);
        let y = rng.usize(..h);
        let v = rng.u8(60..200);
        let size = if rng.u8(..8) == 0 { 2 } else { 1 };
        for yy in y..(y + size).min(h) {
            for xx in x..(x + size).min(w) {
                let p = &mut gray[yy * w + xx];
                *p = (*p).min(v);
            }
        }
    }
    if heavy {
        // A faint scanner streak.
        let x = rng.usize(..w);
        for y in 0..h {
            let p = &mut gray[y * w + x];
            *p = p.saturating_sub(25);
        }
    }
    RasterPage { px_w, px_h, gray }
}

fn blit(gray: &mut [u8], w: usize, h: usize, g: &GlyphBitmap, ox: i32, oy: i32, ink: i32) {
    for gy in 0..g.h {
        let y = oy + gy as i32;
        if y < 0 || y >= h as i32 {
            continue;
        }
        let row = &g.cov[gy * g.w..(gy + 1) * g.w];
        for (gx, &c) in row.iter().enumerate() {
            let x = ox + gx as i32;
            if c == 0 || x < 0 || x >= w as i32 {
                continue;
            }
            let p = &mut gray[y as usize * w + x as usize];
            let cur = *p as i32;
            *p = (cur - (cur - ink) * c as i32 / 255) as u8;
        }
    }
}

// ---------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------

struct PdfPage {
    jpeg: Vec<u8>,
    px_w: u32,
    px_h: u32,
    w_pt: f32,
    h_pt: f32,
    /// Text-layer operators, or empty for an image-only page.
    text_ops: Vec<u8>,
}

/// Invisible text ops for one page: one BT/ET per line so extractors see line breaks.
fn text_layer(lines: &[Line], skew: Skew, m: &Metrics) -> Vec<u8> {
    let mut ops = String::new();
    for line in lines {
        let (Some(first), Some(last)) = (line.segs.first(), line.segs.last()) else {
            continue;
        };
        let text: Vec<&str> = line.segs.iter().map(|(_, t)| t.as_str()).collect();
        let text = text.join(" ");
        let n = text.chars().count();
        if n == 0 {
            continue;
        }
        let raster_w = last.0 + m.width(&last.1, line.size) - first.0;
        // The glyph-less font advances 0.5 em per code; stretch to the raster width.
        let tz = 100.0 * raster_w / (0.5 * line.size * n as f32);
        // Lines stay horizontal: extractors (poppler) split slightly rotated lines
        // into pieces and interleave neighbouring lines. Anchoring the baseline at
        // the skewed line's midpoint keeps it within a few points of the raster.
        let (x, _) = skew.apply(first.0, line.baseline);
        let (_, y) = skew.apply(first.0 + raster_w / 2.0, line.baseline);
        let mut hex = String::with_capacity(n * 4);
        for c in text.chars() {
            // BMP only; anything else becomes U+FFFD rather than a surrogate pair.
            let code = u16::try_from(u32::from(c)).unwrap_or(0xFFFD);
            hex.push_str(&format!("{code:04X}"));
        }
        ops.push_str(&format!(
            "BT\n3 Tr\n/F1 {:.2} Tf\n{:.2} Tz\n1 0 0 1 {:.2} {:.2} Tm\n<{hex}> Tj\nET\n",
            line.size,
            tz,
            x,
            PAGE_H - y
        ));
    }
    ops.into_bytes()
}

const TO_UNICODE: &str = "/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";

/// Tesseract-style "GlyphLessFont": codes are Unicode code points, no font program.
fn add_glyphless_font(doc: &mut Document) -> lopdf::ObjectId {
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "GlyphLessFont",
        "Flags" => 5,
        "FontBBox" => vec![Object::Integer(0), Object::Integer(-250), Object::Integer(500), Object::Integer(750)],
        "ItalicAngle" => 0,
        "Ascent" => 750,
        "Descent" => -250,
        "CapHeight" => 700,
        "StemV" => 80,
    });
    let cid = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "GlyphLessFont",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => 500,
        "CIDToGIDMap" => "Identity",
    });
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, TO_UNICODE.as_bytes().to_vec()));
    doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "GlyphLessFont",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![Object::Reference(cid)],
        "ToUnicode" => to_unicode,
    })
}

fn build_pdf(pages: &[PdfPage], date: NaiveDate) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let with_text = pages.iter().any(|p| !p.text_ops.is_empty());
    let font_id = with_text.then(|| add_glyphless_font(&mut doc));
    let mut kids = Vec::with_capacity(pages.len());
    for p in pages {
        let image = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => p.px_w,
                "Height" => p.px_h,
                "ColorSpace" => "DeviceGray",
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            p.jpeg.clone(),
        )
        .with_compression(false);
        let image_id = doc.add_object(image);
        let mut ops =
            format!("q\n{:.2} 0 0 {:.2} 0 0 cm\n/Im0 Do\nQ\n", p.w_pt, p.h_pt).into_bytes();
        ops.extend_from_slice(&p.text_ops);
        let mut content = Stream::new(dictionary! {}, ops);
        // Flate keeps the hex-encoded text layer small; images are already JPEG.
        content.compress()?;
        let content_id = doc.add_object(content);
        let mut resources = dictionary! { "XObject" => dictionary! { "Im0" => image_id } };
        if let (Some(font), false) = (font_id, p.text_ops.is_empty()) {
            resources.set("Font", dictionary! { "F1" => font });
        }
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![Object::Integer(0), Object::Integer(0), Object::Real(p.w_pt), Object::Real(p.h_pt)],
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let info: Dictionary = dictionary! {
        "Producer" => Object::string_literal("archivist fixturegen"),
        "CreationDate" => Object::string_literal(format!("D:{}000000", date.format("%Y%m%d"))),
    };
    let info_id = doc.add_object(info);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

fn encode_jpeg(page: &RasterPage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100));
    enc.write_image_l8(page)?;
    Ok(out)
}

trait WriteL8 {
    fn write_image_l8(self, page: &RasterPage) -> Result<()>;
}
impl<W: std::io::Write> WriteL8 for image::codecs::jpeg::JpegEncoder<W> {
    fn write_image_l8(mut self, page: &RasterPage) -> Result<()> {
        self.encode(
            &page.gray,
            page.px_w,
            page.px_h,
            image::ExtendedColorType::L8,
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

/// At most this many groups are "open" at once; their documents interleave.
const MAX_ACTIVE: usize = 3;
/// A new group opens after this many documents, so the first group is mostly done
/// before the third opens and a 14-document set holds every kind.
const JOIN_EVERY: usize = 4;

struct Generator {
    opts: GenOptions,
    rng: fastrand::Rng,
    metrics: Metrics,
    cache: GlyphCache,
    active: Vec<Group>,
    next_group: usize,
    since_join: usize,
    rr: usize,
    emitted: usize,
    year_offset: usize,
    /// Next group sequence number per (year, ПП?).
    seq: HashMap<(i32, bool), u32>,
}

impl Generator {
    fn new(opts: GenOptions) -> Self {
        let mut rng = fastrand::Rng::with_seed(opts.seed);
        let year_offset = rng.usize(..7);
        Generator {
            opts,
            rng,
            metrics: Metrics::new(),
            cache: HashMap::new(),
            active: Vec::new(),
            next_group: 0,
            since_join: 0,
            rr: 0,
            emitted: 0,
            year_offset,
            seq: HashMap::new(),
        }
    }

    fn open_group(&mut self) {
        let idx = self.next_group;
        self.next_group += 1;
        // Step by 3 (coprime with 7) so consecutive groups land in different years.
        let year = 2019 + ((self.year_offset + idx * 3) % 7) as i32;
        // Every fourth group (and some later ones) is a retraining (ПП) group.
        let pp = idx % 4 == 3 || (idx > 3 && self.rng.u8(..10) < 2);
        let seq = self
            .seq
            .entry((year, pp))
            .or_insert_with(|| self.rng.u32(1..=20));
        let this = *seq;
        *seq += self.rng.u32(1..=3);
        let g = make_group(idx, year, this, pp, &mut self.rng);
        self.active.push(g);
        self.since_join = 0;
    }

    fn make_one(&mut self) -> Result<GeneratedScan> {
        if self.active.is_empty()
            || (self.since_join >= JOIN_EVERY && self.active.len() < MAX_ACTIVE)
        {
            self.open_group();
        }
        let gi = self.rr % self.active.len();
        self.rr += 1;
        self.since_join += 1;
        let plan = self.active[gi]
            .plan
            .pop_front()
            .context("group with an empty plan stayed active")?;
        // Per-document RNG: content of one file does not depend on pixels of another.
        let mut rng = fastrand::Rng::with_seed(
            self.opts.seed ^ (self.emitted as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        // Variations draw from their own stream so the default output stays as it was.
        let var = self.opts.variations.then(|| {
            let mut vr = fastrand::Rng::with_seed(
                self.opts.seed ^ (self.emitted as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            );
            Variation::draw(&mut vr)
        });
        let text = compose(
            plan,
            &self.active[gi],
            &self.metrics,
            &mut rng,
            var.as_ref(),
        );
        let variant = var.as_ref().map(Variation::describe);
        let group = self.active[gi].clone();
        if self.active[gi].plan.is_empty() {
            self.active.remove(gi);
        }

        let plain: String = text
            .pages
            .iter()
            .flat_map(|p| p.iter())
            .map(|l| {
                l.segs
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n");
        if self.opts.text_only {
            self.emitted += 1;
            return Ok(GeneratedScan {
                expected: Expected {
                    file: format!("scan_{:04}.pdf", self.emitted),
                    kind: text.kind.to_string(),
                    year: text.date.year(),
                    group: group.code.clone(),
                    date: text.date,
                    number: text.number,
                    programme: group.programme.to_string(),
                    learners: text.learners,
                    pages: text.pages.len() as u32,
                    image_only: false,
                    hours: group.hours,
                    results: text.results,
                    variant: variant.clone(),
                },
                bytes: Vec::new(),
                text: plain,
            });
        }
        let image_only = self.opts.image_only;
        let dpi = if image_only {
            300
        } else {
            self.opts.dpi.max(50)
        };
        let n_pages = text.pages.len();
        // In image-only multi-page docs one page went through the feeder sideways.
        let turned = (image_only && n_pages > 1).then(|| rng.usize(..n_pages));
        let mut pdf_pages = Vec::with_capacity(n_pages);
        for (pi, lines) in text.pages.iter().enumerate() {
            let deg = rng.f32() * 0.5 + 0.5;
            let deg = if rng.bool() { deg } else { -deg };
            let skew = Skew::new(deg);
            let raster = render_page(
                lines,
                dpi,
                skew,
                image_only,
                &self.metrics,
                &mut self.cache,
                &mut rng,
            );
            let (raster, w_pt, h_pt) = if turned == Some(pi) {
                let img = image::GrayImage::from_raw(raster.px_w, raster.px_h, raster.gray)
                    .context("raster buffer size mismatch")?;
                let img = image::imageops::rotate90(&img);
                let (px_w, px_h) = img.dimensions();
                let page = RasterPage {
                    px_w,
                    px_h,
                    gray: img.into_raw(),
                };
                (page, PAGE_H, PAGE_W)
            } else {
                (raster, PAGE_W, PAGE_H)
            };
            let text_ops = if image_only {
                Vec::new()
            } else {
                text_layer(lines, skew, &self.metrics)
            };
            pdf_pages.push(PdfPage {
                jpeg: encode_jpeg(&raster, self.opts.jpeg_quality)?,
                px_w: raster.px_w,
                px_h: raster.px_h,
                w_pt,
                h_pt,
                text_ops,
            });
        }
        let bytes = build_pdf(&pdf_pages, text.date)?;
        self.emitted += 1;
        Ok(GeneratedScan {
            expected: Expected {
                file: format!("scan_{:04}.pdf", self.emitted),
                kind: text.kind.to_string(),
                year: text.date.year(),
                group: group.code.clone(),
                date: text.date,
                number: text.number,
                programme: group.programme.to_string(),
                learners: text.learners,
                pages: n_pages as u32,
                image_only,
                hours: group.hours,
                results: text.results,
                variant,
            },
            bytes,
            text: plain,
        })
    }
}

impl Iterator for Generator {
    type Item = Result<GeneratedScan>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.emitted >= self.opts.count {
            return None;
        }
        let r = self.make_one();
        if r.is_err() {
            // Stop after an error rather than loop on a broken state.
            self.emitted = self.opts.count;
        }
        Some(r)
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn opts(count: usize) -> GenOptions {
        GenOptions {
            count,
            ..GenOptions::default()
        }
    }

    fn all(o: &GenOptions) -> Vec<GeneratedScan> {
        generate(o).collect::<Result<Vec<_>>>().unwrap()
    }

    #[test]
    fn declension() {
        let ivanov = Learner {
            surname: "Иванов",
            female: false,
            first: "Иван",
            patronymic: "Петрович",
        };
        assert_eq!(ivanov.full(Case::Acc), "Иванова Ивана Петровича");
        assert_eq!(ivanov.full(Case::Dat), "Иванову Ивану Петровичу");
        assert_eq!(ivanov.full(Case::Ins), "Ивановым Иваном Петровичем");
        assert_eq!(ivanov.short(Case::Nom), "Иванов И. П.");
        let sid = Learner {
            surname: "Сидоров",
            female: true,
            first: "Анна",
            patronymic: "Сергеевна",
        };
        assert_eq!(sid.full(Case::Nom), "Сидорова Анна Сергеевна");
        assert_eq!(sid.full(Case::Acc), "Сидорову Анну Сергеевну");
        assert_eq!(sid.full(Case::Dat), "Сидоровой Анне Сергеевне");
        assert_eq!(sid.full(Case::Gen), "Сидоровой Анны Сергеевны");
        assert_eq!(decline_surname("Каменский", true, Case::Acc), "Каменскую");
        assert_eq!(decline_surname("Каменский", false, Case::Dat), "Каменскому");
        assert_eq!(
            decline_surname("Ковальчук", false, Case::Ins),
            "Ковальчуком"
        );
        assert_eq!(decline_surname("Ковальчук", true, Case::Dat), "Ковальчук");
        assert_eq!(decline_surname("Черных", false, Case::Gen), "Черных");
        assert_eq!(decline_first("Ольга", true, Case::Gen), "Ольги");
        assert_eq!(decline_first("Мария", true, Case::Dat), "Марии");
        assert_eq!(decline_first("Наталья", true, Case::Ins), "Натальей");
        assert_eq!(decline_first("Алексей", false, Case::Dat), "Алексею");
        assert_eq!(decline_first("Артём", false, Case::Acc), "Артёма");
        // Staff surnames stay out of the learner pool.
        for s in ["Смирнов", "Петров", "Белов", "Громов", "Тихонов", "Крылов"]
        {
            assert!(!SURNAMES.contains(&s), "{s}");
        }
    }

    #[test]
    fn deterministic() {
        let a = all(&opts(4));
        let b = all(&opts(4));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.expected, y.expected);
            assert!(x.bytes == y.bytes, "{} differs", x.expected.file);
        }
        let c = all(&GenOptions { seed: 2, ..opts(1) });
        assert!(c[0].bytes != a[0].bytes);
    }

    #[test]
    fn set_of_14_covers_kinds_years_groups() {
        for seed in [1, 2, 3, 42, 1234] {
            let o = GenOptions {
                seed,
                count: 14,
                ..GenOptions::default()
            };
            // Plan-level check is cheap; render only seed 1 fully below.
            let exp: Vec<Expected> = all(&o).into_iter().map(|s| s.expected).collect();
            let kinds: BTreeSet<&str> = exp.iter().map(|e| e.kind.as_str()).collect();
            let years: BTreeSet<i32> = exp.iter().map(|e| e.year).collect();
            let groups: BTreeSet<&str> = exp.iter().map(|e| e.group.as_str()).collect();
            assert_eq!(kinds.len(), 7, "seed {seed}: {kinds:?}");
            assert!(years.len() >= 3, "seed {seed}: {years:?}");
            assert!(groups.len() >= 3, "seed {seed}: {groups:?}");
            for e in &exp {
                assert_eq!(e.date.year(), e.year);
                let g = &e.group;
                assert!(g.starts_with("ПК-") || g.starts_with("ПП-"), "{g}");
                assert!(g.contains(&format!("-{}-", e.year)), "{g} {}", e.year);
                assert!(!e.learners.is_empty());
            }
            let names: BTreeSet<&str> = exp
                .iter()
                .flat_map(|e| e.learners.iter().map(String::as_str))
                .collect();
            assert!(names.contains("Иванов Иван Петрович"));
            assert!(names.contains("Иванов Алексей Сергеевич"));
            assert!(names.contains("Иванова Мария Петровна"));
        }
    }

    /// Line breaks of wrapped paragraphs become plain spaces.
    fn norm(t: &str) -> String {
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn has_word(text: &str, w: &str) -> bool {
        text.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '.')
            .any(|t| t.trim_end_matches('.') == w.trim_end_matches('.'))
    }

    #[test]
    fn text_layer_is_extractable() {
        let scans = all(&opts(14));
        for s in &scans {
            let e = &s.expected;
            let doc = Document::load_mem(&s.bytes).unwrap();
            assert_eq!(doc.get_pages().len() as u32, e.pages);
            let pages: Vec<u32> = (1..=e.pages).collect();
            let text = norm(&doc.extract_text(&pages).unwrap());
            assert!(text.contains(&e.group), "{}: no group in {text}", e.file);
            assert!(
                text.contains(&format!("от {}", d(e.date))),
                "{}: {text}",
                e.file
            );
            assert!(text.contains(&format!("«{}»", e.programme)), "{}", e.file);
            assert!(text.contains(ORG), "{}", e.file);
            if let Some(n) = &e.number {
                assert!(text.contains(&format!("№ {n}")), "{}: {text}", e.file);
            }
            // Some surname of a listed learner appears (possibly declined: stem match).
            let stem_found = e.learners.iter().any(|n| {
                let s = n.split(' ').next().unwrap_or("");
                let stem: String = s
                    .chars()
                    .take(s.chars().count().saturating_sub(2))
                    .collect();
                text.contains(&stem)
            });
            assert!(stem_found, "{}: {text}", e.file);
        }
        // Declined forms land verbatim in the text layer.
        let first_order = scans
            .iter()
            .find(|s| s.expected.kind == "order-organisation")
            .unwrap();
        let text = norm(
            &Document::load_mem(&first_order.bytes)
                .unwrap()
                .extract_text(&[1])
                .unwrap(),
        );
        assert!(text.contains("Иванова Ивана Петровича"), "{text}");
        assert!(text.contains("Семёнову Алёну Фёдоровну"), "{text}");
        assert!(has_word(&text, "зачислении"));
        let completion = scans
            .iter()
            .find(|s| s.expected.kind == "order-completion")
            .unwrap();
        let text = norm(
            &Document::load_mem(&completion.bytes)
                .unwrap()
                .extract_text(&[1])
                .unwrap(),
        );
        assert!(
            text.contains("Иванову Ивану Петровичу")
                || text.contains("Иванову Алексею Сергеевичу")
                || text.contains("Ивановой Марии Петровне"),
            "{text}"
        );
    }

    #[test]
    fn pdftotext_agrees_with_lopdf() -> Result<()> {
        if std::process::Command::new("pdftotext")
            .arg("-v")
            .output()
            .is_err()
        {
            eprintln!("pdftotext not installed; skipping");
            return Ok(());
        }
        let dir = std::env::temp_dir().join(format!("fixturegen-pt-{}", std::process::id()));
        let exp = write_set(&dir, &opts(3))?;
        for e in &exp {
            let path = dir.join(&e.file);
            let out = std::process::Command::new("pdftotext")
                .args(["-enc", "UTF-8"])
                .arg(&path)
                .arg("-")
                .output()?;
            assert!(out.status.success());
            let poppler = String::from_utf8_lossy(&out.stdout).to_string();
            let bytes = std::fs::read(&path)?;
            let doc = Document::load_mem(&bytes)?;
            let pages: Vec<u32> = (1..=e.pages).collect();
            let ours = doc.extract_text(&pages)?;
            let words =
                |t: &str| -> Vec<String> { t.split_whitespace().map(str::to_string).collect() };
            assert_eq!(words(&poppler), words(&ours), "{}", e.file);
            assert!(poppler.contains(&e.group));
        }
        let json = std::fs::read_to_string(dir.join("expected.json"))?;
        let back: Vec<Expected> = serde_json::from_str(&json)?;
        assert_eq!(back, exp);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn image_only_has_no_text() {
        // Skip ahead to a journal (multi-page) by generating the first two docs.
        let o = GenOptions {
            image_only: true,
            ..opts(2)
        };
        for s in all(&o) {
            assert!(s.expected.image_only);
            let doc = Document::load_mem(&s.bytes).unwrap();
            let pages: Vec<u32> = (1..=s.expected.pages).collect();
            let text = doc.extract_text(&pages).unwrap_or_default();
            assert!(text.trim().is_empty(), "{text}");
            if s.expected.pages > 1 {
                let landscape = doc.page_iter().any(|id| {
                    let page = doc.get_dictionary(id).unwrap();
                    let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
                    mb[2].as_float().unwrap() > mb[3].as_float().unwrap()
                });
                assert!(landscape, "one page should be turned by 90°");
            }
        }
    }

    #[test]
    fn variations_change_only_how_headings_dates_and_numbers_are_written() {
        let plain = all(&GenOptions {
            text_only: true,
            ..opts(24)
        });
        let varied = all(&GenOptions {
            text_only: true,
            variations: true,
            ..opts(24)
        });
        for (p, v) in plain.iter().zip(&varied) {
            assert_eq!(p.expected.kind, v.expected.kind);
            assert_eq!(p.expected.date, v.expected.date);
            assert_eq!(p.expected.learners, v.expected.learners);
            assert!(p.expected.variant.is_none() && v.expected.variant.is_some());
        }
        let text = varied
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for needle in ["П Р И К А З", "В соответствии с", "г. Москва", "N "]
        {
            assert!(text.contains(needle), "no {needle:?} in the varied set");
        }
        assert!(
            MONTHS_GENITIVE
                .iter()
                .any(|m| text.contains(&format!(" {m} ")))
        );
        // A varied number is the document's number as written.
        for v in &varied {
            if let Some(n) = &v.expected.number {
                assert!(v.text.contains(&format!(" {n}")), "{n}: {}", v.text);
            }
        }
    }

    #[test]
    fn size_and_speed() {
        let o = opts(1);
        let t = std::time::Instant::now();
        let s = all(&o);
        let el = t.elapsed();
        let kb = s[0].bytes.len() / 1024;
        eprintln!("1-page doc at 100 dpi: {kb} KB in {el:?}");
        assert!((30..=250).contains(&kb), "{kb} KB");
    }
}
