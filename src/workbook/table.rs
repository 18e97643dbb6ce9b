//! A sheet as the scenario reader sees it, whichever file it came from: rows of cells
//! at their places in the sheet (row 0 is the sheet's row 1), each cell a number, a
//! text, a truth value, empty, or unreadable with the reason (a formula without a
//! cached value, an error value, part of merged cells).

/// One cell's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in it.
    Empty,
    /// A number (XLSX numeric cell).
    Number(f64),
    /// Text (every CSV cell; an XLSX text cell).
    Text(String),
    /// TRUE or FALSE (XLSX boolean cell).
    Bool(bool),
    /// Not a value the reader may take: why, for people.
    Unreadable(String),
}

/// One sheet of a workbook, or one CSV file of a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name (a CSV file's stem).
    pub sheet: String,
    /// Rows of cells, each at its place in the sheet.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The cell at (`row`, `col`), 0-based; empty beyond the used area.
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Cell::Empty)
    }

    /// `sheet!A1` for the 0-based (`row`, `col`).
    pub fn reference(&self, row: usize, col: usize) -> String {
        reference(&self.sheet, row, col)
    }
}

/// `sheet!D14` for the 0-based (`row`, `col`) of `sheet`.
pub fn reference(sheet: &str, row: usize, col: usize) -> String {
    format!("{sheet}!{}{}", column_letters(col), row + 1)
}

/// A, B, ..., Z, AA, AB, ... for 0, 1, ...
pub fn column_letters(col: usize) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(reference("initiatives", 13, 3), "initiatives!D14");
    }
}
