//! Messages in the user's language, from Fluent files under `locale/` (embedded at build time).
//!
//! The language of a request is picked once by the request-context middleware from
//! `Accept-Language` ([`resolve_language`]) and kept in the request scope, so [`t`] and [`t_args`]
//! can be called anywhere below a handler without passing it around.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// Languages with a message file.
pub const SUPPORTED: &[&str] = &["zh-CN", "en-US"];

const SOURCES: &[(&str, &str)] = &[
    ("zh-CN", include_str!("../../../locale/zh-CN/main.ftl")),
    ("en-US", include_str!("../../../locale/en-US/main.ftl")),
];

struct Catalog {
    bundles: Vec<(&'static str, FluentBundle<FluentResource>)>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let bundles = SOURCES
            .iter()
            .map(|(lang, src)| {
                let id: LanguageIdentifier = lang.parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                bundle.set_use_isolating(false);
                // The files are part of the build and checked by a unit test; a broken line is
                // skipped rather than taking the process down.
                let resource =
                    FluentResource::try_new((*src).to_owned()).unwrap_or_else(|(r, _)| r);
                let _ = bundle.add_resource(resource);
                (*lang, bundle)
            })
            .collect();
        Catalog { bundles }
    })
}

/// Picks the language for an `Accept-Language` header value.
///
/// Entries are tried in order of their `q` weight; `zh`, `zh-cn`, `zh-hans` map to `zh-CN` and
/// `en`, `en-us` (any `en-*`) to `en-US`, as FBA maps them. Anything else, or no header, gives
/// `default`. (FBA answers every message of an unknown language with "language pack not found";
/// we fall back instead, see `docs/compatibility.md`.)
pub fn resolve_language(header: Option<&str>, default: &'static str) -> &'static str {
    let Some(header) = header else { return default };
    let mut entries: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty()).then_some((q, tag))
        })
        .collect();
    entries.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, tag) in entries {
        let lower = tag.to_ascii_lowercase();
        if lower == "zh" || lower.starts_with("zh-") {
            return "zh-CN";
        }
        if lower == "en" || lower.starts_with("en-") {
            return "en-US";
        }
    }
    default
}

/// Maps a configured language name to its `'static` spelling (unknown → `zh-CN`).
pub fn canonical(lang: &str) -> &'static str {
    SUPPORTED
        .iter()
        .find(|l| l.eq_ignore_ascii_case(lang))
        .copied()
        .unwrap_or("zh-CN")
}

/// The message `key` in `lang` with arguments; the key itself when no file has it.
pub fn translate(lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let cat = catalog();
    let bundle = cat
        .bundles
        .iter()
        .find(|(l, _)| *l == lang)
        .or_else(|| cat.bundles.first())
        .map(|(_, b)| b);
    let Some(bundle) = bundle else {
        return key.to_owned();
    };
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        return key.to_owned();
    };
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.clone());
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, (!args.is_empty()).then_some(&fargs), &mut errors)
        .into_owned()
}

/// The message `key` in the current request's language.
pub fn t(key: &str) -> String {
    translate(crate::scope::language(), key, &[])
}

/// The message `key` with arguments in the current request's language.
pub fn t_args(key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    translate(crate::scope::language(), key, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_file_parses_and_has_the_same_keys() {
        let mut key_sets = Vec::new();
        for (lang, src) in SOURCES {
            let res = FluentResource::try_new((*src).to_owned())
                .unwrap_or_else(|(_, e)| panic!("{lang}: {e:?}"));
            let mut keys: Vec<String> = res
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect();
            keys.sort();
            key_sets.push(keys);
        }
        assert_eq!(key_sets[0], key_sets[1]);
        assert!(key_sets[0].len() > 20);
    }

    #[test]
    fn accept_language_is_mapped_like_fba() {
        assert_eq!(resolve_language(None, "zh-CN"), "zh-CN");
        assert_eq!(resolve_language(Some("en-US"), "zh-CN"), "en-US");
        assert_eq!(resolve_language(Some("en"), "zh-CN"), "en-US");
        assert_eq!(resolve_language(Some("zh-Hans"), "en-US"), "zh-CN");
        assert_eq!(resolve_language(Some("fr-FR,en;q=0.8"), "zh-CN"), "en-US");
        assert_eq!(resolve_language(Some("fr"), "zh-CN"), "zh-CN");
        assert_eq!(
            resolve_language(Some("zh;q=0.5,en-GB;q=0.9"), "zh-CN"),
            "en-US"
        );
    }

    #[test]
    fn messages_are_translated_with_arguments() {
        assert_eq!(
            translate("en-US", "response-success", &[]),
            "Request success"
        );
        assert_eq!(translate("zh-CN", "response-success", &[]), "请求成功");
        assert_eq!(
            translate(
                "en-US",
                "validation-greater-than-equal",
                &[("ge", 1.into())]
            ),
            "Input should be greater than or equal to 1"
        );
        assert_eq!(translate("en-US", "no-such-key", &[]), "no-such-key");
    }
}
