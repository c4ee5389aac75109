//! A recursive-descent parser from query text to [`Query`].
//!
//! Precedence, loosest first: `|`, `&`, `/`, then the postfix repetitions
//! `*`, `+`, `{*}`, `{+}`. Inside brackets: `||`, `&&`, then `!`.
//!
//! Every bracket, parenthesis and `!` counts one level of nesting, and the
//! parser refuses more than [`MAX_NESTING`] levels, so a hostile query can
//! neither overflow the parser's stack nor build a tree the evaluator would
//! overflow on (a step takes at most one postfix repetition for the same
//! reason). Chains (`a/b/c`, `a&&b&&c`) are lists,
//! not nested pairs, so their length costs no depth.

use regex::{Regex, RegexBuilder};

use super::ast::{
    CompareOp, Comparison, Criteria, CriteriaExpr, Direction, Query, Repeat, Traversal,
};
use super::error::ParseError;
use super::lexer::{Lexer, Token};

/// The longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// The deepest nesting accepted: brackets, parentheses and `!` together.
pub const MAX_NESTING: usize = 64;

/// How much memory one regular expression may compile to: enough for any
/// sensible name pattern, too little for a query to exhaust the server.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Parses a query.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    if query.len() > MAX_QUERY_BYTES {
        let position = query
            .char_indices()
            .take_while(|(byte, _)| *byte < MAX_QUERY_BYTES)
            .count();
        return Err(ParseError::new(
            position,
            format!("a query of at most {MAX_QUERY_BYTES} bytes"),
            format!("a query of {} bytes", query.len()),
        ));
    }
    let mut parser = Parser {
        lexer: Lexer::new(query),
        depth: 0,
    };
    let parsed = parser.query()?;
    let (token, position) = parser.lexer.next()?;
    if token != Token::End {
        let expected = if parsed.selects_attributes() {
            "',' or end of query"
        } else {
            "'/', '&', '|', '.', a repetition or end of query"
        };
        return Err(ParseError::new(position, expected, token.describe()));
    }
    Ok(parsed)
}

struct Parser {
    lexer: Lexer,
    depth: usize,
}

/// The spelling of a repetition, if the token is one.
fn repeat_of(token: &Token) -> Option<Repeat> {
    match token {
        Token::Star => Some(Repeat {
            strict: false,
            all: false,
        }),
        Token::Plus => Some(Repeat {
            strict: true,
            all: false,
        }),
        Token::CurlyStar => Some(Repeat {
            strict: false,
            all: true,
        }),
        Token::CurlyPlus => Some(Repeat {
            strict: true,
            all: true,
        }),
        _ => None,
    }
}

impl Parser {
    /// Enters one level of nesting at `position`.
    fn nest(&mut self, position: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::new(
                position,
                format!("at most {MAX_NESTING} levels of nesting"),
                "deeper nesting",
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn expect(&mut self, wanted: Token, expected: &str) -> Result<(), ParseError> {
        let (token, position) = self.lexer.next()?;
        if token == wanted {
            Ok(())
        } else {
            Err(ParseError::new(position, expected, token.describe()))
        }
    }

    /// `traversal? ('.' name (',' name)*)?`, with at least one of the two.
    fn query(&mut self) -> Result<Query, ParseError> {
        let traversal = if self.lexer.peek()?.0 == Token::Dot {
            Traversal::Identity
        } else {
            self.traversal()?
        };
        let mut attributes: Vec<String> = Vec::new();
        if self.lexer.peek()?.0 == Token::Dot {
            self.lexer.next()?;
            loop {
                let (token, position) = self.lexer.next()?;
                let Token::Name(name) = token else {
                    return Err(ParseError::new(
                        position,
                        "an attribute name",
                        token.describe(),
                    ));
                };
                if !attributes.contains(&name) {
                    attributes.push(name);
                }
                if self.lexer.peek()?.0 != Token::Comma {
                    break;
                }
                self.lexer.next()?;
            }
        }
        Ok(Query {
            traversal,
            attributes,
        })
    }

    /// `intersection ('|' intersection)*`
    fn traversal(&mut self) -> Result<Traversal, ParseError> {
        let mut parts = vec![self.intersection()?];
        while self.lexer.peek()?.0 == Token::Bar {
            self.lexer.next()?;
            parts.push(self.intersection()?);
        }
        Ok(one_or(parts, Traversal::Union))
    }

    /// `composition ('&' composition)*`
    fn intersection(&mut self) -> Result<Traversal, ParseError> {
        let mut parts = vec![self.composition()?];
        while self.lexer.peek()?.0 == Token::Amp {
            self.lexer.next()?;
            parts.push(self.composition()?);
        }
        Ok(one_or(parts, Traversal::Intersect))
    }

    /// `postfix ('/' postfix)*`
    fn composition(&mut self) -> Result<Traversal, ParseError> {
        let mut parts = vec![self.postfix()?];
        while self.lexer.peek()?.0 == Token::Slash {
            self.lexer.next()?;
            parts.push(self.postfix()?);
        }
        Ok(one_or(parts, Traversal::Compose))
    }

    /// `step ('*' | '+' | '{*}' | '{+}')?`
    ///
    /// One repetition per step: a second would be degenerate (`T**` never
    /// ends, so finds nothing; `T{*}{*}` is `T{*}`), and allowing chains of
    /// them would let a query build a deep tree without brackets. Write
    /// `(T*)*` to mean it anyway.
    fn postfix(&mut self) -> Result<Traversal, ParseError> {
        let step = self.step()?;
        let Some(repeat) = repeat_of(&self.lexer.peek()?.0) else {
            return Ok(step);
        };
        self.lexer.next()?;
        Ok(Traversal::Repeated(Box::new(step), repeat))
    }

    fn step(&mut self) -> Result<Traversal, ParseError> {
        let (token, position) = self.lexer.next()?;
        if let Some(repeat) = repeat_of(&token) {
            let criteria = self.optional_criteria()?;
            return Ok(Traversal::Walk {
                direction: Direction::Down,
                repeat,
                criteria,
            });
        }
        match token {
            Token::At => Ok(match self.optional_criteria()? {
                Some(criteria) => Traversal::Filter(criteria),
                None => Traversal::Identity,
            }),
            Token::LBracket => Ok(Traversal::Child(Box::new(self.criteria(position)?))),
            Token::DotDot => {
                let Some(repeat) = repeat_of(&self.lexer.peek()?.0) else {
                    return Ok(Traversal::Parent);
                };
                self.lexer.next()?;
                let criteria = self.optional_criteria()?;
                Ok(Traversal::Walk {
                    direction: Direction::Up,
                    repeat,
                    criteria,
                })
            }
            Token::Name(name) => Ok(Traversal::Relation(name)),
            Token::LParen => {
                self.nest(position)?;
                let inner = self.traversal()?;
                self.expect(Token::RParen, "')'")?;
                self.depth -= 1;
                Ok(inner)
            }
            other => Err(ParseError::new(
                position,
                "a search: '@', '[', '*', '+', '{*}', '{+}', '..', '(', '.' or a name",
                other.describe(),
            )),
        }
    }

    /// `[criteria]` if the next token opens one.
    fn optional_criteria(&mut self) -> Result<Option<Box<Criteria>>, ParseError> {
        let (token, position) = self.lexer.peek()?;
        if token != Token::LBracket {
            return Ok(None);
        }
        self.lexer.next()?;
        Ok(Some(Box::new(self.criteria(position)?)))
    }

    /// The rest of `[criteria]` (the `[` at `open` is read) and its `{i}`.
    fn criteria(&mut self, open: usize) -> Result<Criteria, ParseError> {
        self.nest(open)?;
        let mut expr = self.or()?;
        self.expect(Token::RBracket, "']'")?;
        self.depth -= 1;
        let (token, position) = self.lexer.peek()?;
        let ignore_case = token == Token::CurlyI;
        if ignore_case {
            self.lexer.next()?;
            // The expressions were compiled case-sensitively to check them
            // where they were written; `{i}` comes after, so compile again.
            recompile_ignoring_case(&mut expr, position)?;
        }
        Ok(Criteria { expr, ignore_case })
    }

    /// `and ('||' and)*`
    fn or(&mut self) -> Result<CriteriaExpr, ParseError> {
        let mut parts = vec![self.and()?];
        while self.lexer.peek()?.0 == Token::BarBar {
            self.lexer.next()?;
            parts.push(self.and()?);
        }
        Ok(one_or(parts, CriteriaExpr::Or))
    }

    /// `unary ('&&' unary)*`
    fn and(&mut self) -> Result<CriteriaExpr, ParseError> {
        let mut parts = vec![self.unary()?];
        while self.lexer.peek()?.0 == Token::AmpAmp {
            self.lexer.next()?;
            parts.push(self.unary()?);
        }
        Ok(one_or(parts, CriteriaExpr::And))
    }

    /// `'!' unary | '(' or ')' | predicate`
    fn unary(&mut self) -> Result<CriteriaExpr, ParseError> {
        let (token, position) = self.lexer.peek()?;
        match token {
            Token::Bang => {
                self.lexer.next()?;
                self.nest(position)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(CriteriaExpr::Not(Box::new(inner)))
            }
            Token::LParen => {
                self.lexer.next()?;
                self.nest(position)?;
                let inner = self.or()?;
                self.expect(Token::RParen, "')'")?;
                self.depth -= 1;
                Ok(inner)
            }
            _ => self.predicate(),
        }
    }

    /// `query (op literal)?`
    fn predicate(&mut self) -> Result<CriteriaExpr, ParseError> {
        let operand = self.query()?;
        let op = match self.lexer.peek()?.0 {
            Token::Eq => CompareOp::Eq,
            Token::Tilde => CompareOp::Contains,
            Token::Hash => CompareOp::Matches,
            Token::Lt => CompareOp::Lt,
            Token::Le => CompareOp::Le,
            Token::Gt => CompareOp::Gt,
            Token::Ge => CompareOp::Ge,
            _ => return Ok(CriteriaExpr::Exists(Box::new(operand))),
        };
        self.lexer.next()?;
        let (literal, position) = self.lexer.literal(op == CompareOp::Matches)?;
        let regex =
            if op == CompareOp::Matches {
                Some(compile(&literal, false).map_err(|found| {
                    ParseError::new(position, "a valid regular expression", found)
                })?)
            } else {
                None
            };
        Ok(CriteriaExpr::Compare(Box::new(Comparison {
            operand,
            op,
            literal,
            regex,
        })))
    }
}

/// The single part, or the parts joined.
fn one_or<T>(mut parts: Vec<T>, join: impl FnOnce(Vec<T>) -> T) -> T {
    if parts.len() == 1 {
        if let Some(part) = parts.pop() {
            return part;
        }
    }
    join(parts)
}

/// Compiles a `#` literal to match whole values. The pattern is checked on
/// its own first, so that wrapping it cannot change what it means (`a)|(b`
/// must not become an unanchored alternative).
fn compile(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    let build = |pattern: &str| {
        RegexBuilder::new(pattern)
            .case_insensitive(ignore_case)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
    };
    let describe = |error: regex::Error| {
        let reason = error.to_string();
        let reason = reason.lines().last().unwrap_or_default().trim().to_string();
        format!("'{pattern}' ({reason})")
    };
    build(pattern).map_err(describe)?;
    build(&format!("^(?:{pattern})$")).map_err(describe)
}

/// Compiles the regular expressions directly in `expr` (not those of
/// nested brackets, which have their own options) ignoring case.
fn recompile_ignoring_case(expr: &mut CriteriaExpr, position: usize) -> Result<(), ParseError> {
    match expr {
        CriteriaExpr::And(parts) | CriteriaExpr::Or(parts) => {
            for part in parts {
                recompile_ignoring_case(part, position)?;
            }
            Ok(())
        }
        CriteriaExpr::Not(inner) => recompile_ignoring_case(inner, position),
        CriteriaExpr::Exists(_) => Ok(()),
        CriteriaExpr::Compare(comparison) => {
            if comparison.regex.is_some() {
                let regex = compile(&comparison.literal, true).map_err(|found| {
                    ParseError::new(
                        position,
                        "a regular expression small enough to compile ignoring case",
                        found,
                    )
                })?;
                comparison.regex = Some(regex);
            }
            Ok(())
        }
    }
}
