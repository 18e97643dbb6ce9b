//! A linear program as plain data: columns, rows and an objective, with every row
//! named after the constraint of the model document it stands for.
//!
//! Keeping the program as data (rather than building solver objects directly) lets
//! one formulation serve every backend, the elastic diagnosis, and later exports,
//! and lets the tests read a row's name back from its index.

pub mod export;
pub mod formulation;
pub(crate) mod scaling;

use std::fmt;

/// Which side of the objective we want.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Maximise,
    Minimise,
}

/// A column of the program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
    pub objective: f64,
}

/// How a row compares its terms with its right-hand side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Le,
    Ge,
    Eq,
}

/// The constraint of the model a row stands for. Indices are into the model's id
/// lists; `Display` gives the name the plan reports (`capacity[eng@aug]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    Capacity {
        r: usize,
        t: usize,
    },
    Min {
        i: usize,
        t: usize,
    },
    Max {
        i: usize,
        t: usize,
    },
    Segments {
        i: usize,
        t: usize,
    },
    Flow {
        i: usize,
        t: usize,
    },
    RampUp {
        i: usize,
        t: usize,
    },
    RampDown {
        i: usize,
        t: usize,
    },
    Churn {
        r: usize,
        t: usize,
    },
    GroupMin {
        g: usize,
        t: usize,
    },
    GroupMax {
        g: usize,
        t: usize,
    },
    Dependency {
        link: usize,
        t: usize,
    },
    /// The value an earlier tier must keep in later stages.
    Tier {
        tier: u32,
    },
}

/// A row: `sum terms  cmp  rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub terms: Vec<(usize, f64)>,
    pub cmp: Cmp,
    pub rhs: f64,
}

/// A linear (or mixed-integer) program.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearProgram {
    pub sense: Sense,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl LinearProgram {
    pub fn new(sense: Sense) -> Self {
        LinearProgram {
            sense,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a column and returns its index.
    pub fn column(&mut self, lower: f64, upper: f64, objective: f64) -> usize {
        self.columns.push(Column {
            lower,
            upper,
            integer: false,
            objective,
        });
        self.columns.len() - 1
    }

    /// Adds a row and returns its index.
    pub fn row(&mut self, kind: RowKind, terms: Vec<(usize, f64)>, cmp: Cmp, rhs: f64) -> usize {
        self.rows.push(Row {
            kind,
            terms,
            cmp,
            rhs,
        });
        self.rows.len() - 1
    }

    pub fn has_integers(&self) -> bool {
        self.columns.iter().any(|c| c.integer)
    }

    /// Objective value of a point.
    pub fn objective_at(&self, x: &[f64]) -> f64 {
        self.columns
            .iter()
            .zip(x)
            .map(|(c, v)| c.objective * v)
            .sum()
    }
}

/// Formats constraint names with the scenario's ids.
pub struct RowName<'a> {
    pub kind: RowKind,
    pub model: &'a crate::model::Model,
}

impl fmt::Display for RowName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.model;
        let p = |t: usize| &m.period_ids[t];
        let i = |i: usize| &m.initiative_ids[i];
        match self.kind {
            RowKind::Capacity { r, t } => write!(f, "capacity[{}@{}]", m.resource_ids[r], p(t)),
            RowKind::Min { i: k, t } => write!(f, "min[{}@{}]", i(k), p(t)),
            RowKind::Max { i: k, t } => write!(f, "max[{}@{}]", i(k), p(t)),
            RowKind::Segments { i: k, t } => write!(f, "segments[{}@{}]", i(k), p(t)),
            RowKind::Flow { i: k, t } => write!(f, "flow[{}@{}]", i(k), p(t)),
            RowKind::RampUp { i: k, t } => write!(f, "rampUp[{}@{}]", i(k), p(t)),
            RowKind::RampDown { i: k, t } => write!(f, "rampDown[{}@{}]", i(k), p(t)),
            RowKind::Churn { r, t } => write!(f, "churn[{}@{}]", m.resource_ids[r], p(t)),
            RowKind::GroupMin { g, t } => write!(f, "groupMin[{}@{}]", m.group_ids[g], p(t)),
            RowKind::GroupMax { g, t } => write!(f, "groupMax[{}@{}]", m.group_ids[g], p(t)),
            RowKind::Dependency { link, t } => {
                let l = m.links[link];
                write!(
                    f,
                    "dependency[{}->{}@{}]",
                    i(l.initiative),
                    i(l.requires),
                    p(t)
                )
            }
            RowKind::Tier { tier } => write!(f, "tier[{tier}]"),
        }
    }
}

impl crate::model::Model {
    /// The reported name of a constraint.
    pub fn row_name(&self, kind: RowKind) -> String {
        RowName { kind, model: self }.to_string()
    }
}
