//! Naming rules: spec names → Rust identifiers, and spec prose → rustdoc.

/// Words Rust reserves (strict and reserved, 2024 edition), which cannot be
/// field, method or variant names as they are.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Splits a name into words at `_`, `-`, `.`, spaces and other
/// non-alphanumerics, and at case changes (`suspiciousIPThrottling` →
/// `suspicious`, `IP`, `Throttling`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            // `ACLs`: a plural `s` after an acronym stays with it.
            let plural = chars.get(i + 1) == Some(&'s')
                && !chars.get(i + 2).is_some_and(char::is_ascii_lowercase);
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase) && !plural;
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `snake_case`, e.g. `checkStatus` → `check_status`.
pub(crate) fn snake(name: &str) -> String {
    let w: Vec<String> = words(name).iter().map(|w| w.to_ascii_lowercase()).collect();
    w.join("_")
}

/// `UpperCamelCase`, e.g. `post-login` → `PostLogin`, `RS256` → `Rs256`.
pub(crate) fn pascal(name: &str) -> String {
    let mut out = String::new();
    for w in words(name) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

/// A type name from a schema name: its first letter upper-cased, the rest
/// kept (schema names are already camel case).
pub(crate) fn type_name(schema: &str) -> String {
    let mut cs = schema.chars();
    match cs.next() {
        Some(first) => {
            let mut s = first.to_ascii_uppercase().to_string();
            s.extend(cs);
            s
        }
        None => "Unnamed".to_owned(),
    }
}

/// A field, method or parameter identifier: snake case, keywords and names
/// starting with a digit get a suffix/prefix.
pub(crate) fn ident(name: &str) -> String {
    let mut s = snake(name);
    if s.is_empty() {
        s = "value".to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// An enum variant name for a string value.
pub(crate) fn variant(value: &str) -> String {
    let mut s = pascal(value);
    if s.is_empty() {
        s = "Empty".to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("V{s}");
    }
    if s == "Self" || s == "Other" {
        s.push('_');
    }
    s
}

/// Spec prose (HTML and Markdown mixed) as rustdoc lines: tags stripped or
/// converted, characters rustdoc would read as links or HTML escaped, bare
/// URLs wrapped, code fences marked as text, no indented code blocks.
pub(crate) fn doc_lines(text: &str) -> Vec<String> {
    let text = convert_html(text).replace('\t', "    ");
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            if in_fence {
                out.push("```".to_owned());
            } else {
                out.push("```text".to_owned());
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(raw.trim_end().to_owned());
            continue;
        }
        if line.is_empty() {
            if out.last().is_some_and(|l: &String| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        out.push(escape_line(line));
    }
    if in_fence {
        out.push("```".to_owned());
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Turns the HTML Auth0 uses in descriptions into plain text with Markdown
/// markers: `<a href="u">t</a>` → `t (u)`, `<code>` → backticks, `<br>`
/// and `<p>` → line breaks, `<li>` → `- `, other tags dropped.
fn convert_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut href: Option<String> = None;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let tag = &after[1..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        let known = matches!(
            name.as_str(),
            "a" | "b"
                | "i"
                | "em"
                | "strong"
                | "code"
                | "br"
                | "p"
                | "ul"
                | "ol"
                | "li"
                | "span"
                | "div"
                | "pre"
                | "u"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "sup"
                | "small"
        );
        if !known || name.is_empty() {
            // Not a tag (e.g. `a < b` or `<user_id>`): keep the text.
            out.push('<');
            rest = &after[1..];
            continue;
        }
        match (name.as_str(), closing) {
            ("a", false) => {
                href = tag
                    .split("href=")
                    .nth(1)
                    .map(|h| h.trim_matches(|c| c == '"' || c == '\'' || c == ' '))
                    .and_then(|h| h.split(['"', '\'']).next())
                    .map(str::to_owned);
            }
            ("a", true) => {
                if let Some(h) = href.take()
                    && h.starts_with("http")
                {
                    out.push_str(" (");
                    out.push_str(&h);
                    out.push(')');
                }
            }
            ("code", _) => out.push('`'),
            ("b" | "strong", _) => out.push_str("**"),
            ("i" | "em", _) => out.push('*'),
            ("br", _) => out.push('\n'),
            ("p" | "div" | "ul" | "ol" | "pre", _) => out.push_str("\n\n"),
            ("li", false) => out.push_str("\n- "),
            _ => {}
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    decode_numeric_entities(&out)
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `&#8217;` (and `&#8217` without the `;`, as some descriptions have it)
/// → the character.
fn decode_numeric_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("&#") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<u32>().ok().and_then(char::from_u32) {
            Some(c) if !digits.is_empty() => {
                out.push(c);
                let skip = digits.len() + usize::from(after[digits.len()..].starts_with(';'));
                rest = &after[skip..];
            }
            _ => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes one line of prose for rustdoc: `[`, `]`, `<`, `>` and `\` are
/// backslash-escaped outside code spans, URLs become autolinks.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    let ticks = line.matches('`').count();
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if c == '`' && ticks.is_multiple_of(2) {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        if in_code {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len = rest
                .find(|ch: char| {
                    ch.is_whitespace() || matches!(ch, ')' | '<' | '>' | '"' | '\'' | ']' | '`')
                })
                .unwrap_or(rest.len());
            let url = rest[..len].trim_end_matches(['.', ',', ';', ':']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            i += url.len();
            continue;
        }
        match c {
            '[' | ']' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '`' => out.push('\''),
            _ => out.push(c),
        }
        i += c.len_utf8();
    }
    out
}

/// Rust string literal text for `s` (quotes included).
pub(crate) fn lit(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(snake("suspiciousIPThrottling"), "suspicious_ip_throttling");
        assert_eq!(snake("SCIMConfiguration"), "scim_configuration");
        assert_eq!(snake("checkStatus"), "check_status");
        assert_eq!(snake("networkACLs"), "network_acls");
        assert_eq!(snake("NetworkACLsList"), "network_acls_list");
        assert_eq!(pascal("post-login"), "PostLogin");
        assert_eq!(pascal("RS256"), "Rs256");
        assert_eq!(variant("create:actions"), "CreateActions");
        assert_eq!(variant(""), "Empty");
        assert_eq!(variant("1"), "V1");
        assert_eq!(ident("type"), "type_");
        assert_eq!(type_name("jobsErrorsGetResponse"), "JobsErrorsGetResponse");
    }

    #[test]
    fn docs() {
        let d = doc_lines(
            "Use <a href=\"https://x.y/z\">this</a> with [a] <b>now</b>.\n\n    indented <user_id>",
        );
        assert_eq!(d[0], "Use this (<https://x.y/z>) with \\[a\\] **now**.");
        assert_eq!(d[2], "indented \\<user_id\\>");
        assert_eq!(
            doc_lines("the user&#8217s and &#8217;x&#"),
            ["the user\u{2019}s and \u{2019}x&#"]
        );
    }
}
