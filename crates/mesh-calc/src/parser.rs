//! The parser: tokens to a [`Program`], by recursive descent.
//!
//! Recursion is bounded: every nested construct (parentheses, arguments,
//! array members, unary operators, `?:`, IF blocks) counts against
//! [`Limits::max_depth`], and so does the depth of the tree built by
//! left-associative chains (`1+1+1+…`), since evaluating and dropping a
//! tree recurse over it too. A hostile text gets a [`ParseError`], never a
//! stack overflow.
//!
//! Precedence, loosest first (see docs/decisions.md): `?:` (right to left),
//! `||`, `&&`, comparisons `== != < <= > >=`, `+ -`, `* /`, unary `- !`,
//! `^` (right to left, binding tighter than unary minus: `-2^2` is `-4`).

use crate::ast::{BinaryOp, Expr, ExprKind, Program, Statement, StatementKind, UnaryOp};
use crate::error::ParseError;
use crate::lexer::{tokenize, Span, Token, TokenKind};
use crate::Limits;

/// Parses a whole expression text under `limits`.
pub fn parse(source: &str, limits: &Limits) -> Result<Program, ParseError> {
    if source.len() > limits.max_source_bytes {
        return Err(ParseError {
            line: 1,
            column: 1,
            expected: format!("an expression of at most {} bytes", limits.max_source_bytes),
            found: format!("{} bytes", source.len()),
        });
    }
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        max_depth: limits.max_depth,
    };
    let statements = parser.block(None)?;
    Ok(Program { statements })
}

/// An expression with the depth of its tree.
type Node = (Expr, u32);

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Nesting of the recursive calls now active.
    depth: u32,
    max_depth: u32,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with Eof and the parser never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &TokenKind {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].kind
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn error_here(&self, expected: impl Into<String>) -> ParseError {
        let token = self.peek();
        ParseError {
            line: token.span.line,
            column: token.span.column,
            expected: expected.into(),
            found: token.kind.to_string(),
        }
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Result<Token, ParseError> {
        if self.peek().kind == kind {
            Ok(self.next())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn too_deep(&self) -> ParseError {
        self.error_here_with_found(
            format!("at most {} levels of nesting", self.max_depth),
            "deeper nesting".to_string(),
        )
    }

    fn error_here_with_found(&self, expected: String, found: String) -> ParseError {
        let span = self.peek().span;
        ParseError {
            line: span.line,
            column: span.column,
            expected,
            found,
        }
    }

    /// Enters one level of recursion, refusing past the bound.
    fn enter(&mut self) -> Result<(), ParseError> {
        if self.depth >= self.max_depth {
            return Err(self.too_deep());
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A node whose children have the given depths, refused when the tree
    /// would be deeper than the bound.
    fn node(&self, kind: ExprKind, span: Span, children: &[u32]) -> Result<Node, ParseError> {
        let depth = 1 + children.iter().copied().max().unwrap_or(0);
        if depth > self.max_depth {
            return Err(self.too_deep());
        }
        Ok((Expr { kind, span }, depth))
    }

    fn skip_newlines(&mut self) {
        while self.peek().kind == TokenKind::Newline {
            self.next();
        }
    }

    /// Statements up to the end (`opened_by` = None) or up to the `ENDIF`
    /// of the IF at `opened_by`, which is consumed.
    fn block(&mut self, opened_by: Option<Span>) -> Result<Vec<Statement>, ParseError> {
        let mut statements = Vec::new();
        loop {
            self.skip_newlines();
            match (&self.peek().kind, opened_by) {
                (TokenKind::Eof, None) => return Ok(statements),
                (TokenKind::Eof, Some(span)) => {
                    return Err(self.error_here(format!(
                        "'ENDIF' closing the IF at line {}, column {}",
                        span.line, span.column
                    )))
                }
                (TokenKind::EndIf, Some(_)) => {
                    self.next();
                    return Ok(statements);
                }
                (TokenKind::EndIf, None) => {
                    return Err(self.error_here("a statement ('ENDIF' without 'IF')"))
                }
                _ => {}
            }
            statements.push(self.statement()?);
            match self.peek().kind {
                TokenKind::Newline | TokenKind::Eof => {}
                TokenKind::EndIf if opened_by.is_some() => {}
                _ => return Err(self.error_here("end of line")),
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let start = self.peek().clone();
        let kind = match start.kind {
            TokenKind::Result if *self.peek_at(1) == TokenKind::Assign => {
                self.next();
                self.next();
                StatementKind::SetResult(self.expr()?)
            }
            TokenKind::Ident(ref name) if *self.peek_at(1) == TokenKind::Assign => {
                let name = name.clone();
                self.next();
                self.next();
                StatementKind::Assign {
                    name,
                    value: self.expr()?,
                }
            }
            TokenKind::If => {
                self.next();
                self.enter()?;
                let condition = self.expr()?;
                self.expect(TokenKind::Then, "'THEN'")?;
                let body = self.block(Some(start.span))?;
                self.leave();
                StatementKind::If { condition, body }
            }
            TokenKind::Function(_) => {
                let (call, _) = self.primary()?;
                StatementKind::Call(call)
            }
            TokenKind::Result | TokenKind::Ident(_) => {
                self.next();
                return Err(self.error_here("'='"));
            }
            _ => {
                return Err(self.error_here(
                    "a statement ('## = ...', 'name = ...', '@function(...)' or 'IF ... THEN')",
                ))
            }
        };
        Ok(Statement {
            kind,
            span: start.span,
        })
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        Ok(self.ternary()?.0)
    }

    fn ternary(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let result = self.ternary_inner();
        self.leave();
        result
    }

    fn ternary_inner(&mut self) -> Result<Node, ParseError> {
        let cond = self.binary(0)?;
        if self.peek().kind != TokenKind::Question {
            return Ok(cond);
        }
        self.next();
        let yes = self.ternary()?;
        self.expect(TokenKind::Colon, "':' of '?:'")?;
        let no = self.ternary()?;
        let span = cond.0.span;
        self.node(
            ExprKind::Ternary(Box::new(cond.0), Box::new(yes.0), Box::new(no.0)),
            span,
            &[cond.1, yes.1, no.1],
        )
    }

    /// Left-associative binary operators by precedence climbing: one
    /// frame per operator rather than one per level, which keeps the stack
    /// small at the depth bound.
    fn binary(&mut self, min_level: u8) -> Result<Node, ParseError> {
        let mut left = self.unary()?;
        loop {
            let (op, level) = match &self.peek().kind {
                TokenKind::OrOr => (BinaryOp::Or, 0),
                TokenKind::AndAnd => (BinaryOp::And, 1),
                TokenKind::EqEq => (BinaryOp::Eq, 2),
                TokenKind::Ne => (BinaryOp::Ne, 2),
                TokenKind::Lt => (BinaryOp::Lt, 2),
                TokenKind::Le => (BinaryOp::Le, 2),
                TokenKind::Gt => (BinaryOp::Gt, 2),
                TokenKind::Ge => (BinaryOp::Ge, 2),
                TokenKind::Plus => (BinaryOp::Add, 3),
                TokenKind::Minus => (BinaryOp::Sub, 3),
                TokenKind::Star => (BinaryOp::Mul, 4),
                TokenKind::Slash => (BinaryOp::Div, 4),
                _ => return Ok(left),
            };
            if level < min_level {
                return Ok(left);
            }
            self.next();
            self.enter()?;
            let right = self.binary(level + 1);
            self.leave();
            let right = right?;
            let span = left.0.span;
            left = self.node(
                ExprKind::Binary(op, Box::new(left.0), Box::new(right.0)),
                span,
                &[left.1, right.1],
            )?;
        }
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let op = match self.peek().kind {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Bang => UnaryOp::Not,
            _ => return self.power(),
        };
        let start = self.next();
        self.enter()?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        self.node(
            ExprKind::Unary(op, Box::new(operand.0)),
            start.span,
            &[operand.1],
        )
    }

    fn power(&mut self) -> Result<Node, ParseError> {
        let base = self.primary()?;
        if self.peek().kind != TokenKind::Caret {
            return Ok(base);
        }
        self.next();
        self.enter()?;
        let exponent = self.unary();
        self.leave();
        let exponent = exponent?;
        let span = base.0.span;
        self.node(
            ExprKind::Binary(BinaryOp::Pow, Box::new(base.0), Box::new(exponent.0)),
            span,
            &[base.1, exponent.1],
        )
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let token = self.next();
        let span = token.span;
        match token.kind {
            TokenKind::Number(n) => self.node(ExprKind::Number(n), span, &[]),
            TokenKind::Str(s) => self.node(ExprKind::Str(s), span, &[]),
            TokenKind::Ident(name) => self.node(ExprKind::Var(name), span, &[]),
            TokenKind::Result => self.node(ExprKind::Result, span, &[]),
            TokenKind::Resource(path) => self.node(ExprKind::Resource(path), span, &[]),
            TokenKind::LParen => {
                let inner = self.ternary()?;
                self.expect(TokenKind::RParen, "')'")?;
                Ok(inner)
            }
            TokenKind::LBrace => {
                let (members, depth) = self.list(TokenKind::RBrace, "'}'")?;
                self.node(ExprKind::Array(members), span, &[depth])
            }
            TokenKind::Function(name) => {
                self.expect(TokenKind::LParen, &format!("'(' after '@{name}'"))?;
                let (args, depth) = self.list(TokenKind::RParen, "')'")?;
                self.node(ExprKind::Call { name, args }, span, &[depth])
            }
            _ => {
                self.pos -= usize::from(token.kind != TokenKind::Eof);
                Err(self.error_here("a number, string, name, '##', '(', '{' or '@function'"))
            }
        }
    }

    /// Comma-separated expressions up to `close` (consumed), possibly none;
    /// with the deepest member's depth.
    fn list(&mut self, close: TokenKind, close_text: &str) -> Result<(Vec<Expr>, u32), ParseError> {
        let mut items = Vec::new();
        let mut depth = 0;
        if self.peek().kind == close {
            self.next();
            return Ok((items, depth));
        }
        loop {
            let (item, d) = self.ternary()?;
            depth = depth.max(d);
            items.push(item);
            match self.peek().kind {
                TokenKind::Comma => {
                    self.next();
                }
                ref k if *k == close => {
                    self.next();
                    return Ok((items, depth));
                }
                _ => return Err(self.error_here(format!("',' or {close_text}"))),
            }
        }
    }
}
