//! Where tables come from and go to: an XLSX workbook (read with calamine, written
//! with rust_xlsxwriter) or CSV texts (one per sheet). Bytes and texts in and out;
//! the files themselves are the CLI's to read and write.

use super::table::{reference, Cell, Table};
use super::Problem;
use std::io::Cursor;

/// The sheets of an XLSX workbook, in the workbook's order.
///
/// # Errors
/// A file that is not an XLSX workbook, or a sheet that cannot be read, as a problem
/// naming the workbook or the sheet.
pub fn xlsx_tables(bytes: &[u8]) -> Result<Vec<Table>, Vec<Problem>> {
    use calamine::{Data, Reader, Xlsx};
    let whole = |message: String| vec![Problem::at("workbook", "", message)];
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| whole(format!("not a readable XLSX workbook: {e}")))?;
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names() {
        let range = workbook.worksheet_range(&sheet).map_err(|e| {
            vec![Problem::at(
                &reference(&sheet, 0, 0),
                "",
                format!("cannot be read: {e}"),
            )]
        })?;
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        fn put(rows: &mut Vec<Vec<Cell>>, row: usize, col: usize, cell: Cell) {
            if rows.len() <= row {
                rows.resize(row + 1, Vec::new());
            }
            if rows[row].len() <= col {
                rows[row].resize(col + 1, Cell::Empty);
            }
            rows[row][col] = cell;
        }
        if let Some((r0, c0)) = range.start() {
            for (r, c, value) in range.cells() {
                let cell = match value {
                    Data::Empty => continue,
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Float(x) => Cell::Number(*x),
                    Data::String(s) if s.trim().is_empty() => continue,
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Bool(b) => Cell::Bool(*b),
                    Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
                        Cell::Unreadable("a date or time, where a number or text belongs".into())
                    }
                    Data::Error(e) => Cell::Unreadable(format!("the error value {e}")),
                };
                put(&mut rows, r0 as usize + r, c0 as usize + c, cell);
            }
        }
        // A formula whose result the file does not hold reads as empty: never a silent
        // zero or blank.
        if let Ok(formulas) = workbook.worksheet_formula(&sheet) {
            if let Some((r0, c0)) = formulas.start() {
                for (r, c, formula) in formulas.cells() {
                    let (row, col) = (r0 as usize + r, c0 as usize + c);
                    let empty = rows
                        .get(row)
                        .and_then(|x| x.get(col))
                        .is_none_or(|x| *x == Cell::Empty);
                    if !formula.is_empty() && empty {
                        put(
                            &mut rows,
                            row,
                            col,
                            Cell::Unreadable(format!(
                                "the formula ={formula} has no computed value in the file \
                                 (open and save the workbook in a spreadsheet program)"
                            )),
                        );
                    }
                }
            }
        }
        let merged = workbook.merge_cells_by_sheet_name(&sheet).map_err(|e| {
            vec![Problem::at(
                &reference(&sheet, 0, 0),
                "",
                format!("its merged cells cannot be read: {e}"),
            )]
        })?;
        for region in &merged {
            let (top, left) = (region.start.0 as usize, region.start.1 as usize);
            let (bottom, right) = (region.end.0 as usize, region.end.1 as usize);
            let span = format!(
                "{}:{}",
                reference(&sheet, top, left)
                    .split('!')
                    .nth(1)
                    .unwrap_or_default(),
                reference(&sheet, bottom, right)
                    .split('!')
                    .nth(1)
                    .unwrap_or_default()
            );
            for row in top..=bottom {
                for col in left..=right {
                    put(
                        &mut rows,
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
        tables.push(Table {
            sheet: sheet.clone(),
            rows,
        });
    }
    Ok(tables)
}

/// A CSV text as the sheet `sheet`: every non-blank cell as text (the reader takes
/// numbers and truth values from text). A UTF-8 byte order mark is skipped.
///
/// # Errors
/// Text that is not CSV, with its line.
pub fn csv_table(sheet: &str, text: &str) -> Result<Table, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Problem::at(
                &format!("{sheet}.csv line {line}"),
                "",
                format!("not CSV: {e}"),
            )
        })?;
        rows.push(
            record
                .iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Table {
        sheet: sheet.to_string(),
        rows,
    })
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
        for (r, row) in table.rows.iter().enumerate() {
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
    for row in &table.rows {
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
