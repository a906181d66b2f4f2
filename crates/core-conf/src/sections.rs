//! Settings sections owned by other crates: each crate declares its own section type
//! ([`Section`]), parsed from the same [`Source`] with FBA's variable names and validated at
//! start-up with the same one-line [`ConfigError`] as the core's settings.
//!
//! ```
//! use fba_core_conf::{ConfigError, Section, Settings, Source};
//!
//! /// `GREETING_*`: a crate's own section.
//! #[derive(Debug)]
//! struct Greeting {
//!     text: String,
//! }
//!
//! impl Section for Greeting {
//!     const NAME: &'static str = "greeting";
//!     fn from_source(src: &Source) -> Result<Self, ConfigError> {
//!         Ok(Self { text: src.string("GREETING_TEXT", "hello") })
//!     }
//! }
//!
//! let mut settings = Settings::from_source(&Source::default()).unwrap();
//! settings.sections.register::<Greeting>().unwrap();
//! assert_eq!(settings.section::<Greeting>().unwrap().text, "hello");
//! ```

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use crate::{ConfigError, Source};

/// A settings section a crate owns.
pub trait Section: Any + Send + Sync + Sized {
    /// A short name for logs and errors (`upload`, `dict`, `task`).
    const NAME: &'static str;

    /// Parses and validates the section.
    ///
    /// # Errors
    /// The first [`ConfigError`] met, naming the variable.
    fn from_source(src: &Source) -> Result<Self, ConfigError>;
}

/// The raw source the settings came from and the sections parsed from it, by type.
#[derive(Clone, Default)]
pub struct Sections {
    source: Arc<Source>,
    parsed: HashMap<TypeId, (&'static str, Arc<dyn Any + Send + Sync>)>,
}

impl Sections {
    /// No section yet, over `source`.
    pub fn new(source: Source) -> Self {
        Self {
            source: Arc::new(source),
            parsed: HashMap::new(),
        }
    }

    /// The raw values the settings were read from (process environment over `.env`).
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Parses section `T` from the source and keeps it; a section already registered is kept
    /// as it is (modules may share one).
    ///
    /// # Errors
    /// The section's [`ConfigError`].
    pub fn register<T: Section>(&mut self) -> Result<(), ConfigError> {
        if self.parsed.contains_key(&TypeId::of::<T>()) {
            return Ok(());
        }
        let section = T::from_source(&self.source)?;
        self.insert(section);
        Ok(())
    }

    /// Keeps an already built section (tests, embedding services), replacing any other.
    pub fn insert<T: Section>(&mut self, section: T) {
        self.parsed
            .insert(TypeId::of::<T>(), (T::NAME, Arc::new(section)));
    }

    /// Section `T`, when registered.
    pub fn get<T: Section>(&self) -> Option<&T> {
        self.parsed
            .get(&TypeId::of::<T>())
            .and_then(|(_, s)| s.downcast_ref::<T>())
    }

    /// The names of the registered sections, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.parsed.values().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names
    }
}

impl std::fmt::Debug for Sections {
    /// Names only: the raw source holds secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sections")
            .field("registered", &self.names())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Limit(u32);

    impl Section for Limit {
        const NAME: &'static str = "limit";
        fn from_source(src: &Source) -> Result<Self, ConfigError> {
            Ok(Self(src.int("TEST_LIMIT", 5u32, 1, 10)?))
        }
    }

    #[test]
    fn a_section_parses_with_the_one_line_error() {
        let mut ok = Sections::new(Source::from_pairs([("TEST_LIMIT", "7")]));
        ok.register::<Limit>().unwrap();
        assert_eq!(ok.get::<Limit>().unwrap().0, 7);
        assert_eq!(ok.names(), ["limit"]);

        let mut bad = Sections::new(Source::from_pairs([("TEST_LIMIT", "70")]));
        let err = bad.register::<Limit>().unwrap_err();
        assert_eq!(err.var(), "TEST_LIMIT");
        assert!(!err.to_string().contains('\n'));
        assert!(bad.get::<Limit>().is_none());
    }

    #[test]
    fn debug_names_sections_without_values() {
        let mut s = Sections::new(Source::from_pairs([("SECRET", "hunter2")]));
        s.register::<Limit>().unwrap();
        let text = format!("{s:?}");
        assert!(text.contains("limit") && !text.contains("hunter2"));
    }
}
