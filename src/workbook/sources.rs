//! Where tables come from and go to: an XLSX workbook (read with calamine, written
//! with rust_xlsxwriter) or CSV texts (one per sheet). Bytes and texts in and out;
//! the files themselves are the CLI's to read and write.

use super::table::{reference, Cell, Table};
use super::Problem;
use std::io::Cursor;

/// The sheets of an XLSX workbook, in the workbook's order, read cell by cell (never
/// as a grid: one value in a sheet's far corner must not cost the grid up to it).
///
/// # Errors
/// A file that is not an XLSX workbook, or a sheet that cannot be read, as a problem
/// naming the workbook or the sheet.
pub fn xlsx_tables(bytes: &[u8]) -> Result<Vec<Table>, Vec<Problem>> {
    use calamine::{DataRef, Reader, Xlsx};
    let whole = |message: String| vec![Problem::at("workbook", "", message)];
    if !bytes.starts_with(b"PK") {
        return Err(whole(
            "not an XLSX workbook: an .xlsx file is a zip archive, and this one is not \
             (a CSV scenario is a folder of CSV files; .xls and .ods must be saved as .xlsx)"
                .into(),
        ));
    }
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| whole(format!("not a readable XLSX workbook: {e}")))?;
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names() {
        let unreadable = |e: calamine::XlsxError| {
            vec![Problem::at(
                &reference(&sheet, 0, 0),
                "",
                format!("cannot be read: {e}"),
            )]
        };
        let mut table = Table::new(&sheet);
        // Cells holding text that is only blanks: empty to the reader, but a value (a
        // formula's computed "" is one).
        let mut blank_text = std::collections::BTreeSet::new();
        {
            let mut cells = workbook
                .worksheet_cells_reader(&sheet)
                .map_err(unreadable)?;
            while let Some(found) = cells.next_cell().map_err(unreadable)? {
                let (r, c) = found.get_position();
                let at = (r as usize, c as usize);
                let text = |s: &str| {
                    if s.trim().is_empty() {
                        None
                    } else {
                        Some(Cell::Text(s.to_string()))
                    }
                };
                let cell = match found.get_value() {
                    DataRef::Empty => continue,
                    DataRef::Int(i) => Some(Cell::Number(*i as f64)),
                    DataRef::Float(x) => Some(Cell::Number(*x)),
                    DataRef::String(s) => text(s),
                    DataRef::SharedString(s) => text(s),
                    DataRef::Bool(b) => Some(Cell::Bool(*b)),
                    DataRef::DateTime(_) | DataRef::DateTimeIso(_) | DataRef::DurationIso(_) => {
                        Some(Cell::Unreadable(
                            "a date or time, where a number or text belongs".into(),
                        ))
                    }
                    DataRef::Error(e) => Some(Cell::Unreadable(format!("the error value {e}"))),
                };
                match cell {
                    Some(cell) => table.set(at.0, at.1, cell),
                    None => {
                        blank_text.insert(at);
                    }
                }
            }
        }
        // A formula whose result the file does not hold reads as empty: never a silent
        // zero or blank.
        {
            let mut formulas = workbook
                .worksheet_cells_reader(&sheet)
                .map_err(unreadable)?;
            while let Some(found) = formulas.next_formula().map_err(unreadable)? {
                let (r, c) = found.get_position();
                let at = (r as usize, c as usize);
                let formula = found.get_value();
                if !formula.is_empty()
                    && *table.cell(at.0, at.1) == Cell::Empty
                    && !blank_text.contains(&at)
                {
                    table.set(
                        at.0,
                        at.1,
                        Cell::Unreadable(format!(
                            "the formula ={formula} has no computed value in the file \
                             (open and save the workbook in a spreadsheet program)"
                        )),
                    );
                }
            }
        }
        let merged = workbook
            .merge_cells_by_sheet_name(&sheet)
            .map_err(unreadable)?;
        for region in &merged {
            let (top, left) = (region.start.0 as usize, region.start.1 as usize);
            let (bottom, right) = (region.end.0 as usize, region.end.1 as usize);
            let span = format!(
                "{}{}:{}{}",
                super::table::column_letters(left),
                top + 1,
                super::table::column_letters(right),
                bottom + 1
            );
            // Only the merged region's first cell (its value) and the cells of the
            // table's rows matter; a merged banner far away still is one problem.
            for row in top..=bottom.min(top + 1000) {
                for col in left..=right.min(left + 100) {
                    table.set(
                        row,
                        col,
                        Cell::Unreadable(format!(
                            "part of the merged cells {span}: unmerge them, every value \
                             needs its own cell"
                        )),
                    );
                }
            }
        }
        tables.push(table);
    }
    Ok(tables)
}

/// A CSV text as the sheet `sheet`: every non-blank cell as text (the reader takes
/// numbers and truth values from text). A UTF-8 byte order mark is skipped.
///
/// # Errors
/// Text that is not CSV, with its line: a quote that never closes (it would swallow
/// the rest of the file), or a file separated by semicolons or tabs.
pub fn csv_table(sheet: &str, text: &str) -> Result<Table, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = format!("{sheet}.csv");
    if let Some(line) = unclosed_quote(text) {
        return Err(Problem::at(
            &format!("{sheet}!line {line}"),
            "",
            format!("{file}: a quote opened on line {line} never closes, so the rest of the file would be one cell"),
        ));
    }
    let first = text.lines().next().unwrap_or_default();
    if !first.contains(',') && (first.contains(';') || first.contains('\t')) {
        return Err(Problem::at(
            &format!("{sheet}!A1"),
            "",
            format!(
                "{file} is separated by {}: Fluidity reads CSV separated by commas \
                 (in a spreadsheet, save as \"CSV UTF-8 (comma delimited)\")",
                if first.contains(';') {
                    "semicolons"
                } else {
                    "tabs"
                }
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::new(sheet);
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Problem::at(
                &format!("{sheet}!line {line}"),
                "",
                format!("{file} is not CSV: {e}"),
            )
        })?;
        for (c, value) in record.iter().enumerate() {
            if !value.trim().is_empty() {
                table.set(r, c, Cell::Text(value.to_string()));
            }
        }
    }
    Ok(table)
}

/// The line on which a quoted field opens that never closes, if one does. Quotes
/// inside an unquoted field (`5" screen`) are text, as the CSV reader takes them.
fn unclosed_quote(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut at, mut line, mut opened) = (At::FieldStart, 1, 0);
    for ch in text.chars() {
        if ch == '\n' {
            line += 1;
        }
        at = match (at, ch) {
            (At::Quoted, '"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::FieldStart, '"') => {
                opened = line;
                At::Quoted
            }
            (At::QuoteInQuoted, '"') => At::Quoted,
            (_, ',' | '\n') => At::FieldStart,
            (At::FieldStart, '\r') => At::FieldStart,
            _ => At::Unquoted,
        };
    }
    (at == At::Quoted).then_some(opened)
}

/// Tables as an XLSX workbook: bold frozen header rows, columns wide enough for their
/// content, numbers as numbers. The file's dates are fixed, so the same tables give
/// the same bytes.
///
/// # Errors
/// What rust_xlsxwriter refuses (a sheet name it does not allow), as a problem.
pub fn xlsx_bytes(tables: &[Table]) -> Result<Vec<u8>, Problem> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| {
        Problem::at("workbook", "", format!("cannot be written: {e}"))
    };
    let mut workbook = Workbook::new();
    let epoch = ExcelDateTime::from_ymd(2026, 1, 1).map_err(failed)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let header = Format::new().set_bold();
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&table.sheet).map_err(failed)?;
        for (r, row) in table.rows().iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Empty | Cell::Unreadable(_) => {}
                    Cell::Text(s) if r == 0 => {
                        sheet
                            .write_string_with_format(r, c, s, &header)
                            .map_err(failed)?;
                    }
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s).map_err(failed)?;
                    }
                    Cell::Number(x) => {
                        sheet.write_number(r, c, *x).map_err(failed)?;
                    }
                    Cell::Bool(b) => {
                        sheet.write_boolean(r, c, *b).map_err(failed)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
        sheet.autofit();
    }
    workbook.save_to_buffer().map_err(failed)
}

/// A table as CSV text: numbers in their shortest form that reads back exactly, truth
/// values as TRUE and FALSE.
pub fn csv_text(table: &Table) -> String {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in &table.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Empty | Cell::Unreadable(_) => String::new(),
                Cell::Text(s) => s.clone(),
                Cell::Number(x) => x.to_string(),
                Cell::Bool(true) => "TRUE".to_string(),
                Cell::Bool(false) => "FALSE".to_string(),
            })
            .collect();
        writer
            .write_record(&cells)
            .expect("writing CSV to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("in memory")).expect("UTF-8 cells")
}
