//! The environment's unit tests: escaping, wrapping, the built-in table, the Markdown cache,
//! the older versions' digests.

use std::path::Path;

use minijinja::Value;

use super::filters::{paragraphs, wrap};
use super::older::{older_builtins, older_copies_in};
use super::*;
use crate::content::markdown::escape_html;

#[test]
fn escapes_html_special_characters_wherever_they_fall() {
    let reference = |text: &str| {
        text.chars().fold(String::new(), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
            out
        })
    };
    let pieces = [
        "a", "word ", "&", "<", ">", "\"", "'", "ü", "北", "😀", "%", "\u{a6}", "\u{bc}", " ",
    ];
    for text in crate::content::markdown::tests::random_texts(&pieces, 23, 20_000, 0x1234_5678_9abc)
    {
        assert_eq!(escape_html(&text), reference(&text), "{text:?}");
        // As the templates' formatter writes it, twice: its buffer is reused.
        let mut written = String::new();
        write_escaped_html(&mut written, &text, Escape::Template).unwrap();
        write_escaped_html(&mut written, &text, Escape::Template).unwrap();
        assert_eq!(written, reference(&text).repeat(2), "{text:?}");
    }
    assert_eq!(escape_html("12345678<"), "12345678&lt;");
    assert_eq!(escape_html("1234567&"), "1234567&amp;");
    assert_eq!(escape_html(""), "");
}

#[test]
fn splits_paragraphs_as_split_does() {
    let pieces = ["a", "b c", "\n", "\n\n", "\r\n", " "];
    for text in crate::content::markdown::tests::random_texts(&pieces, 8, 20_000, 0xfeed_f00d) {
        let ours: Vec<&str> = paragraphs(&text).collect();
        let std: Vec<&str> = text.split("\n\n").collect();
        assert_eq!(ours, std, "{text:?}");
    }
    assert_eq!(paragraphs("").collect::<Vec<_>>(), [""]);
}

#[test]
fn wraps_with_hanging_indent() {
    let text = "one two three four five six seven eight nine ten eleven twelve";
    assert_eq!(
        wrap(text, 20, "  → ", "    "),
        "  → one two three\n    four five six\n    seven eight nine\n    ten eleven\n    twelve"
    );
}

#[test]
fn wraps_ascii_and_other_text_alike() {
    // The rule `wrap` follows, written plainly: Unicode words and character counts.
    let reference = |text: &str, width: usize, first: &str, rest: &str| {
        let mut out = String::new();
        for (p, paragraph) in text.split("\n\n").enumerate() {
            if p > 0 {
                out.push_str("\n\n");
            }
            for (l, line) in paragraph.lines().enumerate() {
                if l > 0 {
                    out.push('\n');
                }
                let prefix = if p == 0 && l == 0 { first } else { rest };
                let mut lines = vec![prefix.to_owned()];
                let mut words_on_line = 0;
                for word in line.split_whitespace() {
                    let current = lines.last_mut().unwrap();
                    let fits = current.chars().count() + 1 + word.chars().count() <= width;
                    if words_on_line > 0 && !fits {
                        lines.push(format!("{rest}{word}"));
                        words_on_line = 1;
                        continue;
                    }
                    if words_on_line > 0 {
                        current.push(' ');
                    }
                    current.push_str(word);
                    words_on_line += 1;
                }
                if words_on_line == 0 {
                    lines = vec![prefix.trim_end().to_owned()];
                }
                out.push_str(&lines.join("\n"));
            }
        }
        out
    };
    let pieces = [
        "word ",
        "a ",
        "longerword ",
        "ünï ",
        "北京 ",
        " ",
        "\t",
        "\n",
        "\n\n",
        "\u{b}",
        "\u{a0}",
        "\u{2003}",
        "x",
        "https://example.org/a/very/long/path/that/does/not/fit/anywhere ",
    ];
    for random in crate::content::markdown::tests::random_texts(&pieces, 30, 5_000, 0x0dd_ba11) {
        // The same text with each line's white space made single spaces: the plain ASCII
        // lines `wrap` cuts into slices.
        let tidied = (random.split('\n'))
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        for text in [&random, &tidied] {
            for (width, first, rest) in [
                (72, "", ""),
                (20, "  → ", "    "),
                (8, "- ", "  "),
                (11, "", ""),
                (1, "", ""),
                (3, "Note: ", "      "),
            ] {
                assert_eq!(
                    wrap(text, width, first, rest),
                    reference(text, width, first, rest),
                    "{text:?} at {width}"
                );
            }
        }
    }
}

#[test]
fn wraps_empty_lines_to_their_trimmed_prefix() {
    assert_eq!(wrap("", 20, "  → ", "    "), "");
    assert_eq!(wrap(" ", 20, "  → ", "    "), "  →");
    assert_eq!(wrap("a\n\n\nb", 20, "> ", "> "), "> a\n\n>\n> b");
    assert_eq!(wrap("word", 3, "- ", "  "), "- word");
    assert_eq!(wrap("ünï ünï ünï", 8, "", "  "), "ünï ünï\n  ünï");
}

#[test]
fn keeps_paragraphs_and_long_words() {
    let text = "short\n\nhttps://example.org/a/very/long/url/that/does/not/fit here";
    assert_eq!(
        wrap(text, 20, "", ""),
        "short\n\nhttps://example.org/a/very/long/url/that/does/not/fit\nhere"
    );
}

#[test]
fn the_builtin_table_lists_every_file_in_templates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let on_disk: Vec<String> = read_overrides(&dir)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let listed: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
    assert_eq!(on_disk, listed);
}

#[test]
fn text_filters_take_any_value_as_text() {
    let env = environment(Path::new("/nonexistent"), "en").unwrap();
    let render = |source: &str| env.render_str(source, minijinja::context! {}).unwrap();
    assert_eq!(render("{{ 42|wrap }}"), "42");
    assert_eq!(render("{{ 7|escape_markdown }}"), "7");
    assert_eq!(render("{{ none|markdown }}|{{ none|plain }}"), "|");
    assert_eq!(render("{{ 'a *b*'|markdown_inline }}"), "a b");
    assert_eq!(
        render("{{ 'one two'|wrap(3, '> ', '  ') }}"),
        "> one\n  two"
    );
}

#[test]
fn cached_markdown_is_what_the_filters_render() {
    let mut env = environment(Path::new("/nonexistent"), "en").unwrap();
    env.add_template("t.html", "{{ t|markdown }}|{{ t|markdown_inline }}")
        .unwrap();
    let texts = [
        "Some **bold**, [a link](https://e.org/?a=1&b=2).",
        "<b>raw</b> *em*\n\n- one",
        "not shared",
    ];
    let cache = Value::from_object(MarkdownCache::new(
        texts[..2].to_vec(),
        texts[..2].to_vec(),
        None,
    ));
    let template = env.get_template("t.html").unwrap();
    let expected = |t: &str| format!("{}|{}", markdown::to_html(t), markdown::to_inline_html(t));
    // Twice: from the shared texts or rendered, then remembered.
    for _ in 0..2 {
        for t in texts {
            let with_cache = minijinja::context! { t, __markdown_cache => cache.clone() };
            assert_eq!(template.render(with_cache).unwrap(), expected(t), "{t:?}");
            let without = minijinja::context! { t };
            assert_eq!(template.render(without).unwrap(), expected(t), "{t:?}");
        }
    }
}

#[test]
fn a_copy_of_an_older_built_in_is_found_by_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("issue.md"), "# old\n").unwrap();
    std::fs::write(dir.path().join("email.txt"), "edited\n").unwrap();
    // A digest of some other text: no match.
    let table = [(
        "issue.md",
        "d14e0d6b4e43a4bc7a2ba22b1e5a2ae7a0e1a0bf0e3bd7d4df9d8c3a0c1d3f06",
    )];
    let digest: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(b"# old\n")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let table_with = [("issue.md", digest.as_str()), ("email.txt", table[0].1)];
    assert_eq!(
        older_copies_in(dir.path(), &table_with).unwrap(),
        ["issue.md"]
    );
    assert!(older_copies_in(dir.path(), &table).unwrap().is_empty());
}

#[test]
fn the_older_versions_table_holds_no_current_builtin_and_names_only_builtins() {
    use sha2::{Digest, Sha256};
    for (name, hash) in older_builtins() {
        let (_, current) = BUILTINS
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .unwrap_or_else(|| panic!("`{name}` is not a built-in"));
        let digest: String = Sha256::digest(current.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(
            *hash, digest,
            "`{name}`'s current version is listed as older"
        );
        assert_eq!(hash.len(), 64);
    }
}

/// The digests of every version of each built-in template in the repository's history,
/// but its current one, as `scripts/older-builtins` makes them.
fn digests_in_history() -> std::collections::BTreeSet<(String, String)> {
    use sha2::{Digest, Sha256};
    use std::process::Command;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| -> Vec<u8> {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .expect("git runs");
        out.stdout
    };
    let hex = |bytes: &[u8]| -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut found = std::collections::BTreeSet::new();
    for (name, current) in BUILTINS {
        let file = format!("templates/{name}");
        let commits = String::from_utf8(git(&["log", "--format=%H", "--", &file])).unwrap();
        for commit in commits.lines() {
            let text = git(&["show", &format!("{commit}:{file}")]);
            if !text.is_empty() && text != current.as_bytes() {
                found.insert((name.to_string(), hex(&text)));
            }
        }
    }
    found
}

#[test]
#[ignore = "needs git and the repository's history: run scripts/test"]
fn the_older_versions_file_lists_every_earlier_version_in_the_history() {
    let listed: std::collections::BTreeSet<(String, String)> = older_builtins()
        .into_iter()
        .map(|(n, h)| (n.to_owned(), h.to_owned()))
        .collect();
    let history = digests_in_history();
    assert!(
        !history.is_empty(),
        "no history found: is this a git checkout?"
    );
    let missing: Vec<_> = history.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "run scripts/older-builtins: these earlier versions are not listed: {missing:?}"
    );
}

#[test]
fn every_builtin_compiles_and_is_reachable_under_its_builtin_name() {
    // Compiling only: that each built-in also renders under Strict mode is shown by the
    // integration test `templates::every_builtin_is_rendered_by_a_build_or_the_service`,
    // which breaks each one in turn and sees the build name it.
    let env = environment(Path::new("/nonexistent"), "en").unwrap();
    for (name, _) in BUILTINS {
        env.get_template(name).unwrap();
        env.get_template(&format!("builtin/{name}")).unwrap();
    }
}

// A template that doubles a string in a loop stops at 16 MB of output, naming its line,
// instead of taking the machine's memory.
#[test]
fn a_template_whose_output_doubles_stops_at_the_cap_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("robots.txt"),
        "User-agent: *\n{% set ns = namespace(s=\"x\") %}{% for i in range(40) %}\
         {% set ns.s = ns.s ~ ns.s %}{{ ns.s }}{% endfor %}\n",
    )
    .unwrap();
    let env = environment(&templates, "en").unwrap();
    let error = crate::publish::render::render_template(&env, "robots.txt", &()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("robots.txt"), "{text}");
    assert!(text.contains("line 2"), "{text}");
    assert!(text.contains("the output grew past 16 MB"), "{text}");
}

// `templates list` has a purpose for every built-in, and none for a template that is gone.
#[test]
fn every_builtin_has_a_one_line_purpose() {
    let builtins: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
    let described: Vec<&str> = PURPOSES.iter().map(|(n, _)| *n).collect();
    assert_eq!(builtins, described);
    for (name, purpose) in PURPOSES {
        assert!(!purpose.is_empty() && !purpose.contains('\n'), "{name}");
    }
}
