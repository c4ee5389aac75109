//! The lexer: source text to tokens with byte spans and line/column.
//!
//! Newlines end statements, except inside an open `(`, `{` or `[`: calls
//! broken after `(` or `,` occur in the published examples, so there a
//! newline is plain whitespace (calc notes §2.1).

use std::fmt;

use crate::error::ParseError;

/// Where a token or node sits in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Line, counted from 1.
    pub line: u32,
    /// Column in characters, counted from 1.
    pub column: u32,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A number literal, `NaN` included.
    Number(f64),
    /// A string literal, without its quotes.
    Str(String),
    /// A name: a variable.
    Ident(String),
    /// `@NAME`: a function name, without the `@`.
    Function(String),
    /// `##`: the result.
    Result,
    /// `%'path'` or `%Name`: a series resource, the path without quotes.
    Resource(String),
    /// `IF` (any case).
    If,
    /// `THEN` (any case).
    Then,
    /// `ENDIF` (any case).
    EndIf,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `^`
    Caret,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!`
    Bang,
    /// `?`
    Question,
    /// `:`
    Colon,
    /// `=`
    Assign,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// The end of a statement.
    Newline,
    /// The end of the source.
    Eof,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            TokenKind::Number(n) => return write!(f, "number {n}"),
            TokenKind::Str(s) => return write!(f, "string '{}'", crate::error::quote(s)),
            TokenKind::Ident(s) => return write!(f, "name '{}'", crate::error::quote(s)),
            TokenKind::Function(s) => return write!(f, "function '@{}'", crate::error::quote(s)),
            TokenKind::Result => "'##'",
            TokenKind::Resource(p) => return write!(f, "resource %'{}'", crate::error::quote(p)),
            TokenKind::If => "'IF'",
            TokenKind::Then => "'THEN'",
            TokenKind::EndIf => "'ENDIF'",
            TokenKind::Plus => "'+'",
            TokenKind::Minus => "'-'",
            TokenKind::Star => "'*'",
            TokenKind::Slash => "'/'",
            TokenKind::Caret => "'^'",
            TokenKind::Lt => "'<'",
            TokenKind::Le => "'<='",
            TokenKind::Gt => "'>'",
            TokenKind::Ge => "'>='",
            TokenKind::EqEq => "'=='",
            TokenKind::Ne => "'!='",
            TokenKind::AndAnd => "'&&'",
            TokenKind::OrOr => "'||'",
            TokenKind::Bang => "'!'",
            TokenKind::Question => "'?'",
            TokenKind::Colon => "':'",
            TokenKind::Assign => "'='",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::LBrace => "'{'",
            TokenKind::RBrace => "'}'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::Comma => "','",
            TokenKind::Newline => "end of line",
            TokenKind::Eof => "end of input",
        };
        f.write_str(text)
    }
}

/// One token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// Splits `source` into tokens, ending with [`TokenKind::Eof`].
///
/// Consecutive statement ends are kept (the parser skips empty lines), so
/// every newline's position is known for messages.
pub fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    Lexer::new(source).run()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    column: u32,
    /// Open brackets: while > 0 a newline is whitespace. Saturating, so a
    /// stray closing bracket is left for the parser to report.
    open: u32,
    tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            column: 1,
            open: 0,
            tokens: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn here(&self) -> Span {
        Span {
            start: self.pos,
            end: self.pos,
            line: self.line,
            column: self.column,
        }
    }

    fn push(&mut self, kind: TokenKind, mut span: Span) {
        span.end = self.pos;
        self.tokens.push(Token { kind, span });
    }

    fn error(span: Span, expected: &str, found: String) -> ParseError {
        ParseError {
            line: span.line,
            column: span.column,
            expected: expected.to_string(),
            found,
        }
    }

    fn run(mut self) -> Result<Vec<Token>, ParseError> {
        while let Some(c) = self.peek() {
            let start = self.here();
            match c {
                ' ' | '\t' | '\r' => {
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    if self.open == 0 {
                        self.push(TokenKind::Newline, start);
                    }
                }
                '0'..='9' | '.' if c != '.' || self.peek2().is_some_and(|d| d.is_ascii_digit()) => {
                    self.number(start)?
                }
                '\'' | '"' | '\u{2018}' => self.string(start)?,
                '%' => {
                    self.bump();
                    match self.peek() {
                        Some('\'' | '"' | '\u{2018}') => {
                            self.string(start)?;
                            if let Some(Token {
                                kind: kind @ TokenKind::Str(_),
                                ..
                            }) = self.tokens.last_mut()
                            {
                                if let TokenKind::Str(path) =
                                    std::mem::replace(kind, TokenKind::Eof)
                                {
                                    *kind = TokenKind::Resource(path);
                                }
                            }
                        }
                        _ => {
                            let name = self.word();
                            if name.is_empty() {
                                return Err(Self::error(
                                    self.here(),
                                    "a quoted resource path or a name after '%'",
                                    self.found_here(),
                                ));
                            }
                            self.push(TokenKind::Resource(name), start);
                        }
                    }
                }
                '@' => {
                    self.bump();
                    let name = self.word();
                    if name.is_empty() {
                        return Err(Self::error(
                            self.here(),
                            "a function name after '@'",
                            self.found_here(),
                        ));
                    }
                    self.push(TokenKind::Function(name), start);
                }
                '#' => {
                    self.bump();
                    if self.peek() != Some('#') {
                        return Err(Self::error(
                            self.here(),
                            "'#' (the result is '##')",
                            self.found_here(),
                        ));
                    }
                    self.bump();
                    self.push(TokenKind::Result, start);
                }
                c if c.is_alphabetic() || c == '_' => {
                    let word = self.word();
                    let kind = match word.to_ascii_uppercase().as_str() {
                        "IF" => TokenKind::If,
                        "THEN" => TokenKind::Then,
                        "ENDIF" => TokenKind::EndIf,
                        // Exactly `NaN`, as the examples write it: other
                        // spellings stay free as variable names.
                        _ if word == "NaN" => TokenKind::Number(f64::NAN),
                        _ => TokenKind::Ident(word),
                    };
                    self.push(kind, start);
                }
                _ => self.operator(start)?,
            }
        }
        let end = self.here();
        self.push(TokenKind::Eof, end);
        Ok(self.tokens)
    }

    fn found_here(&self) -> String {
        match self.peek() {
            None => "end of input".to_string(),
            Some('\n') => "end of line".to_string(),
            Some(c) => format!("'{}'", c.escape_default()),
        }
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.bump();
        }
        self.src[start..self.pos].to_string()
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
    }

    /// Digits, an optional fraction, an optional exponent (`1e3`, `2.5E-2`:
    /// never shown by the sources, accepted as the usual notation).
    fn number(&mut self, start: Span) -> Result<(), ParseError> {
        self.digits();
        if self.peek() == Some('.') {
            self.bump();
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = matches!(self.peek2(), Some('+' | '-'));
            let rest = &self.src[self.pos + 1 + usize::from(sign)..];
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                self.bump();
                if sign {
                    self.bump();
                }
                self.digits();
            }
        }
        let text = &self.src[start.start..self.pos];
        let value: f64 = text
            .parse()
            .map_err(|_| Self::error(start, "a number", format!("'{text}'")))?;
        if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            return Err(Self::error(
                self.here(),
                "an operator or end of line after a number",
                self.found_here(),
            ));
        }
        self.push(TokenKind::Number(value), start);
        Ok(())
    }

    /// `'...'`, `"..."` or typographic `‘...’`, with no escapes (none is
    /// documented); a string may not span lines.
    fn string(&mut self, start: Span) -> Result<(), ParseError> {
        let open = self.bump().unwrap_or('\'');
        let close = if open == '\u{2018}' { '\u{2019}' } else { open };
        let body_start = self.pos;
        loop {
            match self.peek() {
                None | Some('\n') => {
                    return Err(Self::error(
                        self.here(),
                        &format!(
                            "closing quote {close} of the string opened at line {}, column {}",
                            start.line, start.column
                        ),
                        self.found_here(),
                    ))
                }
                Some(c) if c == close => break,
                Some(_) => {
                    self.bump();
                }
            }
        }
        let body = self.src[body_start..self.pos].to_string();
        self.bump();
        self.push(TokenKind::Str(body), start);
        Ok(())
    }

    fn operator(&mut self, start: Span) -> Result<(), ParseError> {
        let c = self.bump().unwrap_or(' ');
        let next = self.peek();
        let two = |this: &mut Self, kind| {
            this.bump();
            kind
        };
        let kind = match (c, next) {
            ('<', Some('=')) => two(self, TokenKind::Le),
            ('>', Some('=')) => two(self, TokenKind::Ge),
            ('=', Some('=')) => two(self, TokenKind::EqEq),
            ('!', Some('=')) => two(self, TokenKind::Ne),
            ('&', Some('&')) => two(self, TokenKind::AndAnd),
            ('|', Some('|')) => two(self, TokenKind::OrOr),
            ('+', _) => TokenKind::Plus,
            ('-', _) => TokenKind::Minus,
            ('*', _) => TokenKind::Star,
            ('/', _) => TokenKind::Slash,
            ('^', _) => TokenKind::Caret,
            ('<', _) => TokenKind::Lt,
            ('>', _) => TokenKind::Gt,
            ('!', _) => TokenKind::Bang,
            ('?', _) => TokenKind::Question,
            (':', _) => TokenKind::Colon,
            ('=', _) => TokenKind::Assign,
            (',', _) => TokenKind::Comma,
            ('(' | '{' | '[', _) => {
                self.open += 1;
                match c {
                    '(' => TokenKind::LParen,
                    '{' => TokenKind::LBrace,
                    _ => TokenKind::LBracket,
                }
            }
            (')' | '}' | ']', _) => {
                self.open = self.open.saturating_sub(1);
                match c {
                    ')' => TokenKind::RParen,
                    '}' => TokenKind::RBrace,
                    _ => TokenKind::RBracket,
                }
            }
            _ => {
                return Err(Self::error(
                    start,
                    "a number, string, name, '@function', '##' or operator",
                    format!("'{}'", c.escape_default()),
                ))
            }
        };
        self.push(kind, start);
        Ok(())
    }
}
