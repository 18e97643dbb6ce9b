//! A sheet as the scenario reader sees it, whichever file it came from: rows of cells
//! at their places in the sheet (row 0 is the sheet's row 1), each cell a number, a
//! text, a truth value, empty, or unreadable with the reason (a formula without a
//! cached value, an error value, part of merged cells).

use std::collections::BTreeMap;

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

/// One sheet of a workbook, or one CSV file of a folder: its non-empty cells by
/// place, so a stray value far from the table costs one entry, not a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name (a CSV file's stem).
    pub sheet: String,
    cells: BTreeMap<(usize, usize), Cell>,
}

impl Table {
    /// A sheet with nothing in it.
    pub fn new(sheet: &str) -> Table {
        Table {
            sheet: sheet.to_string(),
            cells: BTreeMap::new(),
        }
    }

    /// A sheet from rows of cells, row 0 first.
    pub fn from_rows(sheet: &str, rows: Vec<Vec<Cell>>) -> Table {
        let mut table = Table::new(sheet);
        for (r, row) in rows.into_iter().enumerate() {
            for (c, cell) in row.into_iter().enumerate() {
                table.set(r, c, cell);
            }
        }
        table
    }

    /// Puts `cell` at (`row`, `col`), 0-based; an empty cell clears the place.
    pub fn set(&mut self, row: usize, col: usize, cell: Cell) {
        if cell == Cell::Empty {
            self.cells.remove(&(row, col));
        } else {
            self.cells.insert((row, col), cell);
        }
    }

    /// The cell at (`row`, `col`), 0-based; empty where nothing is.
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.cells.get(&(row, col)).unwrap_or(&Cell::Empty)
    }

    /// The non-empty cells of `row`, by column.
    pub fn row(&self, row: usize) -> impl Iterator<Item = (usize, &Cell)> {
        self.cells
            .range((row, 0)..=(row, usize::MAX))
            .map(|((_, c), cell)| (*c, cell))
    }

    /// The rows after the header (row 0) that hold anything, in order.
    pub fn data_rows(&self) -> Vec<usize> {
        let mut rows: Vec<usize> = self
            .cells
            .keys()
            .map(|(r, _)| *r)
            .filter(|r| *r > 0)
            .collect();
        rows.dedup();
        rows
    }

    /// Whether the sheet holds nothing at all.
    pub fn is_blank(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every cell, row by row, as dense rows up to the last non-empty cell of each
    /// (for writing the small tables this crate makes).
    pub fn rows(&self) -> Vec<Vec<Cell>> {
        let height = self.cells.keys().map(|(r, _)| r + 1).max().unwrap_or(0);
        let mut rows = vec![Vec::new(); height];
        for ((r, c), cell) in &self.cells {
            let row = &mut rows[*r];
            if row.len() <= *c {
                row.resize(*c + 1, Cell::Empty);
            }
            row[*c] = cell.clone();
        }
        rows
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
