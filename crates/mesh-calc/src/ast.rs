//! The syntax tree. Every node keeps the [`Span`] of its first token, so
//! evaluation errors can name the place.

use crate::lexer::Span;

/// A parsed expression text: statements in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The statements.
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// What it does.
    pub kind: StatementKind,
    /// Where it starts.
    pub span: Span,
}

/// The statement forms of calc notes §2.1.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `## = expr`: sets the result; the last one executed wins.
    SetResult(Expr),
    /// `Name = expr`.
    Assign {
        /// The variable.
        name: String,
        /// Its new value.
        value: Expr,
    },
    /// A call for its side effects, `@PDLOG(...)`; its value is dropped.
    Call(Expr),
    /// `IF cond THEN` … `ENDIF`.
    If {
        /// The condition.
        condition: Expr,
        /// The statements run when it holds.
        body: Vec<Statement>,
    },
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it starts.
    pub span: Span,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A string literal.
    Str(String),
    /// A variable.
    Var(String),
    /// `##` read as a value: the result so far.
    Result,
    /// `{a, b, ...}`.
    Array(Vec<Expr>),
    /// `%'/path/of/resource'` or `%Name`: a series resource by path.
    Resource(String),
    /// `@NAME(args)`.
    Call {
        /// The name without `@`, as written.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `op x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `cond ? a : b`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
}
