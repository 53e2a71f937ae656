//! Which tables a DDL statement creates, alters or drops — the `tableChanges` of a
//! schema-change record name them (`type`, `id`). Only the statement's head is read: the verb,
//! the object and the table names (back-quoted or bare, qualified by a database or not);
//! column definitions are not parsed, the table's layout is read from the server.

/// Debezium's change types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableChangeKind {
    Create,
    Alter,
    Drop,
}

impl TableChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Alter => "ALTER",
            Self::Drop => "DROP",
        }
    }
}

/// One table a statement changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableTarget {
    pub kind: TableChangeKind,
    pub db: String,
    pub table: String,
}

impl TableTarget {
    /// Debezium's id: `"db"."table"`.
    pub fn id(&self) -> String {
        format!("\"{}\".\"{}\"", self.db, self.table)
    }
}

/// A token of a statement's head: a word (upper-cased), a name (as written, unquoted), or
/// punctuation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Dot,
    Comma,
    Open,
    Close,
    Other,
}

fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                let mut name = String::new();
                while let Some(c) = chars.next() {
                    if c == '`' {
                        if chars.peek() == Some(&'`') {
                            chars.next();
                            name.push('`');
                        } else {
                            break;
                        }
                    } else {
                        name.push(c);
                    }
                }
                out.push(Token::Quoted(name));
            }
            // String literals name no table (`COMMENT 'rename to x'`): skipped whole.
            '\'' | '"' => {
                let quote = c;
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == quote {
                        if chars.peek() == Some(&quote) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                out.push(Token::Other);
            }
            // Line comments: to the end of the line.
            '#' => skip_line(&mut chars),
            '-' if chars.peek() == Some(&'-') => skip_line(&mut chars),
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '.' => out.push(Token::Dot),
            ',' => out.push(Token::Comma),
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(word));
            }
            c if c.is_whitespace() => {}
            _ => out.push(Token::Other),
        }
    }
    out
}

fn skip_line(chars: &mut impl Iterator<Item = char>) {
    for c in chars.by_ref() {
        if c == '\n' {
            break;
        }
    }
}

struct Cursor<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Cursor<'_> {
    fn word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// Consumes the keywords in order if they come next.
    fn eat(&mut self, words: &[&str]) -> bool {
        let matches = words.iter().enumerate().all(|(i, w)| {
            matches!(self.tokens.get(self.at + i), Some(Token::Word(t)) if t.eq_ignore_ascii_case(w))
        });
        if matches {
            self.at += words.len();
        }
        matches
    }

    fn skip_any(&mut self, words: &[&str]) {
        while self.word().is_some_and(|w| words.contains(&w.as_str())) {
            self.at += 1;
        }
    }

    fn name_part(&mut self) -> Option<String> {
        let part = match self.tokens.get(self.at)? {
            Token::Word(w) | Token::Quoted(w) => w.clone(),
            _ => return None,
        };
        self.at += 1;
        Some(part)
    }

    /// `db.table`, `table`, back-quoted or not.
    fn table_name(&mut self, default_db: &str) -> Option<(String, String)> {
        let first = self.name_part()?;
        if self.tokens.get(self.at) == Some(&Token::Dot) {
            self.at += 1;
            let second = self.name_part()?;
            Some((first, second))
        } else {
            Some((default_db.to_owned(), first))
        }
    }

    fn comma(&mut self) -> bool {
        if self.tokens.get(self.at) == Some(&Token::Comma) {
            self.at += 1;
            true
        } else {
            false
        }
    }
}

/// The new name of an `ALTER TABLE … RENAME [TO|AS] name` clause: a RENAME at the top level
/// (not inside parentheses), opening the statement's clauses or after a comma.
fn renamed_to(tokens: &[Token], from: usize, db: &str) -> Option<(String, String)> {
    let mut depth = 0usize;
    let mut clause_start = true;
    for i in from..tokens.len() {
        match &tokens[i] {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                clause_start = true;
                continue;
            }
            Token::Word(w) if depth == 0 && clause_start && w.eq_ignore_ascii_case("RENAME") => {
                let mut tail = Cursor { tokens, at: i + 1 };
                if tail
                    .word()
                    .is_some_and(|w| matches!(w.as_str(), "COLUMN" | "INDEX" | "KEY"))
                {
                    return None;
                }
                tail.skip_any(&["TO", "AS"]);
                return tail.table_name(db);
            }
            _ => {}
        }
        clause_start = false;
    }
    None
}

/// The tables `ddl` (run with `default_db` selected) creates, alters or drops. Statements on
/// other objects (databases, views, users) and TRUNCATE change no table's layout: none.
pub fn table_targets(default_db: &str, ddl: &str) -> Vec<TableTarget> {
    let tokens = tokens(ddl);
    let mut c = Cursor {
        tokens: &tokens,
        at: 0,
    };
    let target = |kind, (db, table): (String, String)| TableTarget { kind, db, table };
    let mut out = Vec::new();
    if c.eat(&["CREATE"]) {
        c.skip_any(&["OR", "REPLACE", "TEMPORARY"]);
        if c.eat(&["TABLE"]) {
            c.eat(&["IF", "NOT", "EXISTS"]);
            if let Some(name) = c.table_name(default_db) {
                out.push(target(TableChangeKind::Create, name));
            }
        } else {
            // CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name ON table
            c.skip_any(&["UNIQUE", "FULLTEXT", "SPATIAL", "ONLINE", "OFFLINE"]);
            if c.eat(&["INDEX"]) {
                c.eat(&["IF", "NOT", "EXISTS"]);
                c.name_part();
                if c.eat(&["USING"]) {
                    c.name_part();
                }
                if c.eat(&["ON"])
                    && let Some(name) = c.table_name(default_db)
                {
                    out.push(target(TableChangeKind::Alter, name));
                }
            }
        }
    } else if c.eat(&["ALTER"]) {
        c.skip_any(&["ONLINE", "OFFLINE", "IGNORE"]);
        if c.eat(&["TABLE"]) {
            c.eat(&["IF", "EXISTS"]);
            if let Some(name) = c.table_name(default_db) {
                // A rename inside ALTER (a top-level `RENAME [TO|AS] name` clause): the table
                // lives on under its new name.
                match renamed_to(&tokens, c.at, &name.0) {
                    Some(new) => {
                        out.push(target(TableChangeKind::Drop, name));
                        out.push(target(TableChangeKind::Create, new));
                    }
                    None => out.push(target(TableChangeKind::Alter, name)),
                }
            }
        }
    } else if c.eat(&["DROP"]) {
        c.skip_any(&["TEMPORARY"]);
        if c.eat(&["TABLE"]) || c.eat(&["TABLES"]) {
            c.eat(&["IF", "EXISTS"]);
            while let Some(name) = c.table_name(default_db) {
                out.push(target(TableChangeKind::Drop, name));
                if !c.comma() {
                    break;
                }
            }
        } else if c.eat(&["INDEX"]) {
            c.eat(&["IF", "EXISTS"]);
            c.name_part();
            if c.eat(&["ON"])
                && let Some(name) = c.table_name(default_db)
            {
                out.push(target(TableChangeKind::Alter, name));
            }
        }
    } else if c.eat(&["RENAME"]) && (c.eat(&["TABLE"]) || c.eat(&["TABLES"])) {
        while let Some(old) = c.table_name(default_db) {
            if !c.eat(&["TO"]) {
                break;
            }
            let Some(new) = c.table_name(default_db) else {
                break;
            };
            out.push(target(TableChangeKind::Drop, old));
            out.push(target(TableChangeKind::Create, new));
            if !c.comma() {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(ddl: &str) -> Vec<(String, String)> {
        table_targets("shop", ddl)
            .into_iter()
            .map(|t| (t.kind.as_str().to_owned(), t.id()))
            .collect()
    }

    fn one(kind: &str, id: &str) -> Vec<(String, String)> {
        vec![(kind.to_owned(), id.to_owned())]
    }

    #[test]
    fn creates_alters_and_drops_name_their_tables() {
        assert_eq!(
            targets("CREATE TABLE items (id INT PRIMARY KEY)"),
            one("CREATE", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("create table if not exists `other db`.`we``ird` (a int)"),
            one("CREATE", "\"other db\".\"we`ird\"")
        );
        assert_eq!(
            targets("/* comment */ ALTER TABLE shop.items ADD COLUMN c INT"),
            one("ALTER", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("ALTER TABLE items RENAME COLUMN a TO b"),
            one("ALTER", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("CREATE UNIQUE INDEX i ON items (c)"),
            one("ALTER", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("DROP INDEX i ON items"),
            one("ALTER", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("DROP TABLE IF EXISTS a, `b`, x.c /* generated by server */"),
            vec![
                ("DROP".to_owned(), "\"shop\".\"a\"".to_owned()),
                ("DROP".to_owned(), "\"shop\".\"b\"".to_owned()),
                ("DROP".to_owned(), "\"x\".\"c\"".to_owned()),
            ]
        );
    }

    #[test]
    fn renames_drop_the_old_name_and_create_the_new() {
        assert_eq!(
            targets("RENAME TABLE a TO b, x.c TO x.d"),
            vec![
                ("DROP".to_owned(), "\"shop\".\"a\"".to_owned()),
                ("CREATE".to_owned(), "\"shop\".\"b\"".to_owned()),
                ("DROP".to_owned(), "\"x\".\"c\"".to_owned()),
                ("CREATE".to_owned(), "\"x\".\"d\"".to_owned()),
            ]
        );
        assert_eq!(
            targets("ALTER TABLE a ADD c INT COMMENT 'rename to x', RENAME COLUMN d TO e"),
            one("ALTER", "\"shop\".\"a\"")
        );
        assert_eq!(
            targets("ALTER TABLE IF EXISTS a ADD c INT -- rename to x"),
            one("ALTER", "\"shop\".\"a\"")
        );
        assert_eq!(
            targets("CREATE INDEX i USING BTREE ON items (c)"),
            one("ALTER", "\"shop\".\"items\"")
        );
        assert_eq!(
            targets("ALTER TABLE a ADD c INT, RENAME AS b"),
            vec![
                ("DROP".to_owned(), "\"shop\".\"a\"".to_owned()),
                ("CREATE".to_owned(), "\"shop\".\"b\"".to_owned()),
            ]
        );
        assert_eq!(
            targets("ALTER TABLE a RENAME TO b"),
            vec![
                ("DROP".to_owned(), "\"shop\".\"a\"".to_owned()),
                ("CREATE".to_owned(), "\"shop\".\"b\"".to_owned()),
            ]
        );
    }

    #[test]
    fn other_statements_change_no_table() {
        for ddl in [
            "CREATE DATABASE shop",
            "DROP VIEW v",
            "TRUNCATE TABLE items",
            "CREATE USER u",
        ] {
            assert!(targets(ddl).is_empty(), "{ddl}");
        }
    }
}
