//! Property tests: the loader never panics or hangs, whatever it is fed.
//!
//! Case counts are set here and quoted in the README.

use std::path::Path;

use proptest::prelude::*;

use crate::content::load::{Content, decode};
use crate::content::validate;
use crate::diagnostic::FileDiagnostics;

fn check_text(text: &str) {
    let mut diags = FileDiagnostics::new(Path::new("briefs/2026-W25/x.yaml"), text);
    let story = validate::card(text, &mut diags);
    // Every diagnostic is located inside the file.
    let lines = u32::try_from(text.lines().count().max(1)).unwrap();
    for d in &diags.list {
        assert!(
            d.pos.line >= 1 && d.pos.line <= lines + 1,
            "{d:?} in {text:?}"
        );
        assert!(d.pos.col >= 1);
    }
    if let Some(story) = story
        && !diags.has_errors()
    {
        assert!(crate::content::slug::is_valid(&story.slug));
        assert!(!story.title.contains(['\n', '\r']));
    }
}

/// Arbitrary YAML trees, from scalars up to nested maps and lists, keys drawn partly from the
/// card's own vocabulary so that the field rules are reached.
fn yaml_tree() -> impl Strategy<Value = serde_yaml::Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "title",
            "date",
            "summary",
            "tldr",
            "why_it_matters",
            "what_to_watch",
            "sources",
            "url",
            "tags",
            "confidence",
            "order",
            "draft",
            "slug",
            "implications",
            "follows_up",
            "id",
            "text",
            "due",
            "note",
            "resolved",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(serde_yaml::Value::Null),
        any::<bool>().prop_map(serde_yaml::Value::Bool),
        any::<i64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        any::<f64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        ".{0,40}".prop_map(serde_yaml::Value::String),
        "(2026|1999|0000)-(0[0-9]|1[0-3])-([0-3][0-9])".prop_map(serde_yaml::Value::String),
        "(2026|0000)-(0[0-9]|1[0-3])".prop_map(serde_yaml::Value::String),
        "(https?|javascript|ftp):(//)?[a-z.]{0,12}/?.{0,8}".prop_map(serde_yaml::Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_yaml::Value::Sequence),
            prop::collection::vec((key.clone(), inner), 0..10).prop_map(|pairs| {
                serde_yaml::Value::Mapping(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (serde_yaml::Value::String(k), v))
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Content::Text(text) = decode(bytes) {
            check_text(&text);
        }
    }

    #[test]
    fn arbitrary_yaml_like_text_never_panics(text in "([-:\\[\\]{}&*!|>'\"#%@`, \n\t]|[a-z0-9]){0,300}") {
        check_text(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_yaml_trees_never_panic(tree in yaml_tree()) {
        let text = serde_yaml::to_string(&tree).expect("the emitter serialises any Value");
        check_text(&text);
    }

    #[test]
    fn any_one_line_title_survives_validation(title in "[^\\p{Cc}\\p{Zl}\\p{Zp}]{1,80}") {
        prop_assume!(!title.trim().is_empty());
        let card = serde_yaml::to_string(&serde_yaml::Mapping::from_iter([
            ("title".into(), title.clone().into()),
            ("date".into(), "2026-06-17".into()),
            ("summary".into(), "s".into()),
            ("tldr".into(), serde_yaml::Value::Sequence(vec!["t".into()])),
            ("why_it_matters".into(), "w".into()),
            ("what_to_watch".into(), "x".into()),
            ("slug".into(), "fixed".into()),
            ("sources".into(), serde_yaml::Value::Sequence(vec!["https://example.org".into()])),
        ])).unwrap();
        let mut diags = FileDiagnostics::new(Path::new("c.yaml"), &card);
        let story = validate::card(&card, &mut diags);
        if let Some((problem, _)) = crate::content::fields::subject_problem(title.trim()) {
            // A title a mail program would misread as a subject is refused, and says why.
            prop_assert_eq!(diags.list.len(), 1, "{:?}\n{}", diags.list, card);
            prop_assert!(diags.list[0].message.ends_with(&problem), "{:?}", diags.list);
            return Ok(());
        }
        prop_assert!(diags.list.is_empty(), "{:?}\n{}", diags.list, card);
        // The words survive as typed; only straight quotes are curled, as in body text.
        let straight = |t: &str| t.replace(['\u{2018}', '\u{2019}'], "'").replace(['\u{201c}', '\u{201d}'], "\"");
        prop_assert_eq!(straight(&story.unwrap().title), straight(title.trim()));
    }
}
