//! The built-in templates as a build and the service use them.

use std::path::Path;

use crate::project::Project;

/// What a template broken on purpose holds: a variable no context defines, an error under
/// Strict mode wherever it is rendered.
const BROKEN: &str = "{{ no_such_variable_on_purpose }}";

/// The sample newsletter with a sign-up service, so that every partial is used.
fn sample_with_service() -> Project {
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        "audience:\n  description: For testers.\n  url: http://127.0.0.1:9/\n",
    );
    project
}

/// Every built-in template, by its path under the repository's `templates/`.
fn builtins() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut names = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(&root).unwrap().to_string_lossy();
                names.push(name.replace('\\', "/"));
            }
        }
    }
    names.sort();
    names
}

// Every built-in is rendered under Strict mode by a build of the sample newsletter or by the
// service's start-up check: with the sample's contexts they render (the build and the
// service both start), and each one, broken in turn, stops one of them, naming it. A
// template nothing rendered, or an asset copied without rendering, would not.
#[test]
fn every_builtin_is_rendered_by_a_build_or_the_service() {
    let project = sample_with_service();
    let build = project.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let names = builtins();
    assert!(names.len() > 30, "{names:?}");
    for name in &names {
        project.write(&format!("templates/{name}"), BROKEN);
        let build = project.run(&["build"]);
        let stopped = if build.code != 0 {
            build.stderr
        } else {
            // Only the service renders its pages and its message; it checks each at start.
            let listen = project.run(&["listen", "--bind", "127.0.0.1:0"]);
            assert_ne!(
                listen.code, 0,
                "`{name}` broken: neither the build nor the service rendered it"
            );
            listen.stderr
        };
        assert!(
            stopped.contains(&format!("template `{name}`")),
            "`{name}` broken, but the error names another: {stopped}"
        );
        std::fs::remove_file(project.path(&format!("templates/{name}"))).unwrap();
    }
}
