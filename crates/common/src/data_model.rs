//! The tables data rules may filter (FBA's data-permission models): each crate declares its
//! own through [`crate::module::Module::data_models`], and the app lists them all in
//! `GET /sys/data-rules/models`.

/// The type a rule value is cast to for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `INTEGER` (`i32`).
    Int,
    /// `BIGINT` (`i64`).
    BigInt,
    /// `FLOAT`/`DOUBLE` (`f64`).
    Float,
    /// `BOOLEAN`.
    Bool,
    /// `VARCHAR`/`TEXT`.
    Text,
    /// `TIMESTAMPTZ`/`DATETIME`.
    DateTime,
    /// `JSON`: no rule value compares with it (the rule matches nothing).
    Json,
    /// `BYTEA`/`BLOB`: no rule value compares with it (the rule matches nothing).
    Binary,
}

/// One column of a [`DataModel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelColumn {
    /// Column name.
    pub key: &'static str,
    /// FBA's column comment (`None` where FBA has none).
    pub comment: Option<&'static str>,
    /// Its type.
    pub kind: ColumnKind,
}

impl ModelColumn {
    /// A column with a comment (for `const` model tables).
    pub const fn new(key: &'static str, comment: &'static str, kind: ColumnKind) -> Self {
        Self {
            key,
            comment: Some(comment),
            kind,
        }
    }
}

/// A model data rules may target: FBA's model name (class name, or table name for the
/// association tables), its table and its columns in FBA's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataModel {
    /// FBA's model name (`Dept`, `User`, `sys_user_role`, …).
    pub name: &'static str,
    /// The table.
    pub table: &'static str,
    /// Every column, in FBA's order.
    pub columns: &'static [ModelColumn],
}

impl DataModel {
    /// The column named `key`.
    pub fn column(&self, key: &str) -> Option<&'static ModelColumn> {
        self.columns.iter().find(|c| c.key == key)
    }
}
