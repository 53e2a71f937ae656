//! The SQL a source runs per poll: which rows are new since a position, in position order.
//!
//! | mode | condition | order |
//! |---|---|---|
//! | bulk | — | — |
//! | incrementing | `inc > ?` | `inc` |
//! | timestamp | `ts > ? AND ts < ?` | `ts` |
//! | timestamp+incrementing | `((ts = ? AND inc > ?) OR ts > ?) AND ts < ?` | `ts, inc` |
//!
//! `ts` is the `COALESCE` of the timestamp columns; the upper bound is the database's clock
//! minus `timestamp.delay.interval.ms`, so rows of transactions still open are not passed.

use connect_api::Value;

use crate::config::Mode;
use crate::dialect::{Bound, Dialect, Piece};
use crate::types::{Column, ColumnKind};

/// Where a table's reading stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub incrementing: Option<i64>,
    /// Microseconds since the epoch.
    pub timestamp_micros: Option<i64>,
}

/// What is read: a table or a custom query.
#[derive(Debug, Clone)]
pub enum From {
    Table(String),
    Query(String),
}

/// A query's template and parameters; the rows carry the columns, then the timestamp position
/// (microseconds) when the mode uses one.
#[derive(Debug, Clone)]
pub struct PollQuery {
    pub template: Vec<Piece>,
    pub params: Vec<Bound<'static>>,
}

/// Builds the poll query of `mode` over `columns` from `position` up to `upper_micros`.
#[allow(clippy::too_many_arguments)]
pub fn build(
    dialect: &dyn Dialect,
    from: &From,
    columns: &[Column],
    mode: Mode,
    incrementing: Option<&Column>,
    timestamps: &[&Column],
    position: Position,
    upper_micros: i64,
    suffix: &str,
) -> PollQuery {
    let mut sql = String::from("SELECT ");
    let selected: Vec<String> = columns.iter().map(|c| dialect.select_expr(c)).collect();
    sql.push_str(&selected.join(", "));
    let ts_expr = match timestamps {
        [] => None,
        [single] => Some(dialect.quote(&single.name)),
        many => Some(format!(
            "COALESCE({})",
            many.iter()
                .map(|c| dialect.quote(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    let ts_kind = timestamps
        .first()
        .and_then(|c| c.kind.micros())
        .unwrap_or(ColumnKind::Micros(crate::types::Temporal::Naive));
    if mode.uses_timestamp()
        && let Some(ts) = &ts_expr
    {
        sql.push_str(", ");
        sql.push_str(ts);
    }
    sql.push_str(" FROM ");
    match from {
        From::Table(table) => sql.push_str(table),
        From::Query(query) => {
            sql.push('(');
            sql.push_str(query);
            sql.push_str(") connect_query");
        }
    }
    let mut template = Vec::new();
    let mut params = Vec::new();
    let mut param =
        |template: &mut Vec<Piece>, sql: &mut String, value: Value, kind: ColumnKind| {
            template.push(Piece::Sql(std::mem::take(sql)));
            template.push(Piece::Param(params.len()));
            params.push(Bound::owned(value, kind));
        };
    let inc = incrementing.map(|c| dialect.quote(&c.name));
    match (mode, inc.as_deref(), ts_expr.as_deref()) {
        (Mode::Incrementing, Some(inc), _) => {
            sql.push_str(&format!(" WHERE {inc} > "));
            param(
                &mut template,
                &mut sql,
                Value::Int64(position.incrementing.unwrap_or(-1)),
                ColumnKind::Int64,
            );
            sql.push_str(&format!(" ORDER BY {inc} ASC"));
        }
        (Mode::Timestamp, _, Some(ts)) => {
            sql.push_str(" WHERE ");
            if let Some(last) = position.timestamp_micros {
                sql.push_str(&format!("{ts} > "));
                param(&mut template, &mut sql, Value::Int64(last), ts_kind.clone());
                sql.push_str(" AND ");
            }
            sql.push_str(&format!("{ts} < "));
            param(
                &mut template,
                &mut sql,
                Value::Int64(upper_micros),
                ts_kind.clone(),
            );
            sql.push_str(&format!(" ORDER BY {ts} ASC"));
        }
        (Mode::TimestampIncrementing, Some(inc), Some(ts)) => {
            sql.push_str(" WHERE ");
            if let Some(last) = position.timestamp_micros {
                sql.push_str(&format!("(({ts} = "));
                param(&mut template, &mut sql, Value::Int64(last), ts_kind.clone());
                sql.push_str(&format!(" AND {inc} > "));
                param(
                    &mut template,
                    &mut sql,
                    Value::Int64(position.incrementing.unwrap_or(-1)),
                    ColumnKind::Int64,
                );
                sql.push_str(&format!(") OR {ts} > "));
                param(&mut template, &mut sql, Value::Int64(last), ts_kind.clone());
                sql.push_str(") AND ");
            }
            sql.push_str(&format!("{ts} < "));
            param(
                &mut template,
                &mut sql,
                Value::Int64(upper_micros),
                ts_kind.clone(),
            );
            sql.push_str(&format!(" ORDER BY {ts} ASC, {inc} ASC"));
        }
        _ => {}
    }
    if !suffix.is_empty() {
        sql.push(' ');
        sql.push_str(suffix);
    }
    template.push(Piece::Sql(sql));
    PollQuery { template, params }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnKind) -> Column {
        Column {
            name: name.into(),
            kind,
            nullable: false,
        }
    }

    fn render(query: &PollQuery) -> String {
        query
            .template
            .iter()
            .map(|p| match p {
                Piece::Sql(s) => s.clone(),
                Piece::Param(i) => format!("?{i}"),
            })
            .collect()
    }

    /// A dialect that only quotes, for SQL shape tests.
    #[derive(Debug)]
    struct Quoting;

    #[async_trait::async_trait]
    impl Dialect for Quoting {
        fn name(&self) -> &'static str {
            "test"
        }
        fn quote(&self, identifier: &str) -> String {
            format!("\"{identifier}\"")
        }
        async fn ping(&self) -> connect_api::ConnectResult<()> {
            Ok(())
        }
        async fn list_tables(
            &self,
            _: &[String],
        ) -> connect_api::ConnectResult<Vec<crate::types::TableId>> {
            Ok(vec![])
        }
        async fn describe(
            &self,
            _: &crate::types::TableId,
        ) -> connect_api::ConnectResult<Option<crate::types::TableDesc>> {
            Ok(None)
        }
        async fn describe_query(&self, _: &str) -> connect_api::ConnectResult<Vec<Column>> {
            Ok(vec![])
        }
        async fn now_millis(&self) -> connect_api::ConnectResult<i64> {
            Ok(0)
        }
        async fn stream(
            &self,
            _: Vec<Piece>,
            _: Vec<Bound<'static>>,
            _: std::sync::Arc<[Column]>,
            _: tokio::sync::mpsc::Sender<Vec<crate::dialect::Row>>,
        ) -> connect_api::ConnectResult<u64> {
            Ok(0)
        }
        async fn execute(
            &self,
            _: &[crate::dialect::Statement<'_>],
        ) -> connect_api::ConnectResult<()> {
            Ok(())
        }
        fn column_type(&self, _: &connect_api::Schema, _: bool) -> String {
            String::new()
        }
        fn upsert_tail(&self, _: &[String], _: &[String]) -> String {
            String::new()
        }
        async fn close(&self) {}
    }

    #[test]
    fn each_mode_selects_what_is_new_in_position_order() {
        let id = column("id", ColumnKind::Int64);
        let ts = column("updated", ColumnKind::Timestamp);
        let columns = vec![id.clone(), ts.clone()];
        let from = From::Table("\"t\"".into());
        let build_mode = |mode, position| {
            render(&build(
                &Quoting,
                &from,
                &columns,
                mode,
                Some(&id),
                &[&ts],
                position,
                99,
                "",
            ))
        };
        assert_eq!(
            build_mode(Mode::Bulk, Position::default()),
            "SELECT \"id\", \"updated\" FROM \"t\""
        );
        assert_eq!(
            build_mode(Mode::Incrementing, Position::default()),
            "SELECT \"id\", \"updated\" FROM \"t\" WHERE \"id\" > ?0 ORDER BY \"id\" ASC"
        );
        assert_eq!(
            build_mode(Mode::Timestamp, Position::default()),
            "SELECT \"id\", \"updated\", \"updated\" FROM \"t\" WHERE \"updated\" < ?0 ORDER BY \"updated\" ASC"
        );
        let position = Position {
            incrementing: Some(5),
            timestamp_micros: Some(7),
        };
        assert_eq!(
            build_mode(Mode::TimestampIncrementing, position),
            "SELECT \"id\", \"updated\", \"updated\" FROM \"t\" WHERE ((\"updated\" = ?0 AND \"id\" > ?1) OR \"updated\" > ?2) AND \"updated\" < ?3 ORDER BY \"updated\" ASC, \"id\" ASC"
        );
        let query = build(
            &Quoting,
            &from,
            &columns,
            Mode::TimestampIncrementing,
            Some(&id),
            &[&ts],
            position,
            99,
            "",
        );
        let values: Vec<&Value> = query.params.iter().map(|b| b.value.as_ref()).collect();
        assert_eq!(
            values,
            [
                &Value::Int64(7),
                &Value::Int64(5),
                &Value::Int64(7),
                &Value::Int64(99)
            ]
        );
    }

    #[test]
    fn custom_queries_are_wrapped_so_their_own_where_survives() {
        let id = column("id", ColumnKind::Int64);
        let from = From::Query("SELECT id FROM t WHERE flag".into());
        let query = build(
            &Quoting,
            &from,
            std::slice::from_ref(&id),
            Mode::Incrementing,
            Some(&id),
            &[],
            Position::default(),
            0,
            "LIMIT 10",
        );
        assert_eq!(
            render(&query),
            "SELECT \"id\" FROM (SELECT id FROM t WHERE flag) connect_query WHERE \"id\" > ?0 ORDER BY \"id\" ASC LIMIT 10"
        );
    }
}
