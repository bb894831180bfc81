//! Hand-written SQL that PostgreSQL parses and plans once per connection.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so every call of the pipeline's hot
//! statements (submit, claim, succeed, status) was parsed and planned again: about half of
//! their database time. A [`Prepared`] query names its statement with a type, which gives
//! it a static query id, and diesel-async keeps the prepared statement per connection.

use std::marker::PhantomData;

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;

/// One statement: its SQL, with `$1`…`$n` placeholders (each may appear more than once),
/// and the SQL types of the row it returns.
pub(crate) trait Statement: 'static {
    const SQL: &'static str;
    type Row;
}

/// A value bound as SQL type `ST`.
pub(crate) struct Bind<ST, T> {
    value: T,
    sql_type: PhantomData<ST>,
}

pub(crate) fn bind<ST, T>(value: T) -> Bind<ST, T> {
    Bind {
        value,
        sql_type: PhantomData,
    }
}

/// The values of a statement's placeholders, in order.
pub(crate) trait Binds {
    /// Pushes the value of placeholder `$index` (1-based).
    fn push<'b>(&'b self, index: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

macro_rules! binds_for_tuple {
    ($($n:tt: $st:ident $t:ident),+) => {
        impl<$($st, $t),+> Binds for ($(Bind<$st, $t>,)+)
        where
            $(Pg: HasSqlType<$st>, $t: ToSql<$st, Pg>,)+
        {
            fn push<'b>(&'b self, index: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                match index {
                    $(i if i == $n + 1 => out.push_bind_param::<$st, $t>(&self.$n.value),)+
                    _ => Err(diesel::result::Error::QueryBuilderError(
                        format!("placeholder ${index} has no value").into(),
                    )),
                }
            }
        }
    };
}

binds_for_tuple!(0: S0 T0);
binds_for_tuple!(0: S0 T0, 1: S1 T1);
binds_for_tuple!(0: S0 T0, 1: S1 T1, 2: S2 T2);
binds_for_tuple!(0: S0 T0, 1: S1 T1, 2: S2 T2, 3: S3 T3);
binds_for_tuple!(0: S0 T0, 1: S1 T1, 2: S2 T2, 3: S3 T3, 4: S4 T4, 5: S5 T5, 6: S6 T6, 7: S7 T7, 8: S8 T8);

/// `S`'s SQL with `binds` for its placeholders.
pub(crate) struct Prepared<S, B> {
    binds: B,
    statement: PhantomData<S>,
}

impl<S: Statement, B: Binds> Prepared<S, B> {
    pub(crate) fn new(binds: B) -> Self {
        Prepared {
            binds,
            statement: PhantomData,
        }
    }
}

impl<S: Statement, B> QueryId for Prepared<S, B> {
    type QueryId = S;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: Statement, B> Query for Prepared<S, B> {
    type SqlType = S::Row;
}

impl<S: Statement, B: Binds> QueryFragment<Pg> for Prepared<S, B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Each `$k` of the text becomes the next placeholder of the statement sent, bound to
        // value k: a value used twice is simply sent twice.
        let sql = S::SQL;
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len() - at - 1, |n| n);
            if digits == 0 {
                out.push_sql("$");
                rest = &rest[at + 1..];
                continue;
            }
            let index: usize = rest[at + 1..at + 1 + digits]
                .parse()
                .map_err(|_| diesel::result::Error::QueryBuilderError("bad placeholder".into()))?;
            self.binds.push(index, &mut out)?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}
