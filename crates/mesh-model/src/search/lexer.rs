//! Splitting a query into tokens. The lexer works on characters so that
//! error positions count characters, as a user reading the query would.
//!
//! Literals after a comparison operator are not tokens: their extent
//! depends on brackets and escapes (a regular expression may hold `[`, `(`
//! or `.`), so the parser reads them with [`Lexer::literal`].

use super::error::ParseError;

/// One token of the language outside literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    LBracket,
    RBracket,
    LParen,
    RParen,
    At,
    Star,
    Plus,
    /// `{*}`
    CurlyStar,
    /// `{+}`
    CurlyPlus,
    /// `{i}`
    CurlyI,
    Dot,
    DotDot,
    Slash,
    Amp,
    AmpAmp,
    Bar,
    BarBar,
    Bang,
    Comma,
    Eq,
    Tilde,
    Hash,
    Lt,
    Le,
    Gt,
    Ge,
    /// An attribute or relation name.
    Name(String),
    End,
}

impl Token {
    /// How an error message names the token.
    pub(crate) fn describe(&self) -> String {
        let text = match self {
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::At => "@",
            Token::Star => "*",
            Token::Plus => "+",
            Token::CurlyStar => "{*}",
            Token::CurlyPlus => "{+}",
            Token::CurlyI => "{i}",
            Token::Dot => ".",
            Token::DotDot => "..",
            Token::Slash => "/",
            Token::Amp => "&",
            Token::AmpAmp => "&&",
            Token::Bar => "|",
            Token::BarBar => "||",
            Token::Bang => "!",
            Token::Comma => ",",
            Token::Eq => "=",
            Token::Tilde => "~",
            Token::Hash => "#",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Name(name) => return format!("name '{name}'"),
            Token::End => return "end of query".to_string(),
        };
        format!("'{text}'")
    }
}

/// Characters that end a name: every character with a meaning of its own
/// in the language, and quotes and backslash, kept free for literals.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '[' | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | '@'
            | '*'
            | '+'
            | '.'
            | '/'
            | '&'
            | '|'
            | '!'
            | ','
            | '='
            | '~'
            | '#'
            | '<'
            | '>'
            | '"'
            | '\''
            | '\\'
    )
}

/// How a character found in the query is named in an error.
pub(crate) fn describe_char(c: Option<char>) -> String {
    match c {
        Some(c) => format!("'{c}'"),
        None => "end of query".to_string(),
    }
}

/// A cursor over the query's characters.
pub(crate) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    pub(crate) fn new(query: &str) -> Self {
        Lexer {
            chars: query.chars().collect(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.at(self.pos).is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The next token and where it starts, without consuming it.
    pub(crate) fn peek(&mut self) -> Result<(Token, usize), ParseError> {
        let saved = self.pos;
        let result = self.next();
        self.pos = saved;
        result
    }

    /// The next token and where it starts.
    pub(crate) fn next(&mut self) -> Result<(Token, usize), ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        let Some(c) = self.at(start) else {
            return Ok((Token::End, start));
        };
        let next = self.at(start + 1);
        let (token, len) = match (c, next) {
            ('[', _) => (Token::LBracket, 1),
            (']', _) => (Token::RBracket, 1),
            ('(', _) => (Token::LParen, 1),
            (')', _) => (Token::RParen, 1),
            ('@', _) => (Token::At, 1),
            ('*', _) => (Token::Star, 1),
            ('+', _) => (Token::Plus, 1),
            ('.', Some('.')) => (Token::DotDot, 2),
            ('.', _) => (Token::Dot, 1),
            ('/', _) => (Token::Slash, 1),
            ('&', Some('&')) => (Token::AmpAmp, 2),
            ('&', _) => (Token::Amp, 1),
            ('|', Some('|')) => (Token::BarBar, 2),
            ('|', _) => (Token::Bar, 1),
            ('!', _) => (Token::Bang, 1),
            (',', _) => (Token::Comma, 1),
            ('=', _) => (Token::Eq, 1),
            ('~', _) => (Token::Tilde, 1),
            ('#', _) => (Token::Hash, 1),
            ('<', Some('=')) => (Token::Le, 2),
            ('<', _) => (Token::Lt, 1),
            ('>', Some('=')) => (Token::Ge, 2),
            ('>', _) => (Token::Gt, 1),
            ('{', _) => {
                let token = match next {
                    Some('*') => Token::CurlyStar,
                    Some('+') => Token::CurlyPlus,
                    Some('i' | 'I') => Token::CurlyI,
                    other => {
                        return Err(ParseError::new(
                            start + 1,
                            "'*', '+' or 'i' after '{'",
                            describe_char(other),
                        ))
                    }
                };
                if self.at(start + 2) != Some('}') {
                    return Err(ParseError::new(
                        start + 2,
                        "'}'",
                        describe_char(self.at(start + 2)),
                    ));
                }
                (token, 3)
            }
            (c, _) if is_special(c) => {
                return Err(ParseError::new(
                    start,
                    "a name, '@', '[', '*', '+', '..' or '('",
                    describe_char(Some(c)),
                ))
            }
            _ => {
                let mut end = start;
                while self
                    .at(end)
                    .is_some_and(|c| !c.is_whitespace() && !is_special(c))
                {
                    end += 1;
                }
                let name: String = self.chars[start..end].iter().collect();
                (Token::Name(name), end - start)
            }
        };
        self.pos = start + len;
        Ok((token, start))
    }

    /// Reads the literal after a comparison operator; returns it and where it
    /// starts.
    ///
    /// A literal in quotes (`"…"` or `'…'`) is everything up to the matching
    /// quote; inside, a backslash makes the quote or a backslash plain.
    /// Otherwise the literal runs up to the `]`, `)`, `&&` or `||` that ends
    /// the criterion, not counting brackets and parentheses it opens itself
    /// (so a regular expression may hold `[A-C]` or `(a|b)`), with
    /// surrounding whitespace dropped; a backslash makes the next character
    /// plain. For a regular expression (`keep_escapes`) backslashes are kept,
    /// since they mean something to the regular expression too.
    pub(crate) fn literal(&mut self, keep_escapes: bool) -> Result<(String, usize), ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        match self.at(start) {
            Some(quote @ ('"' | '\'')) => self.quoted(quote, start, keep_escapes),
            _ => self.bare(start, keep_escapes),
        }
    }

    fn quoted(
        &mut self,
        quote: char,
        start: usize,
        keep_escapes: bool,
    ) -> Result<(String, usize), ParseError> {
        let mut text = String::new();
        let mut i = start + 1;
        loop {
            match self.at(i) {
                None => {
                    return Err(ParseError::new(
                        i,
                        format!("the closing {quote} of the literal started at position {start}"),
                        "end of query",
                    ))
                }
                Some('\\') => {
                    match self.at(i + 1) {
                        Some(c) if c == quote || c == '\\' => {
                            if keep_escapes && c == '\\' {
                                text.push('\\');
                            }
                            text.push(c);
                        }
                        Some(c) => {
                            // Not an escape of ours: keep it for the
                            // regular expression (`\d`) or as written.
                            text.push('\\');
                            text.push(c);
                        }
                        None => {
                            return Err(ParseError::new(
                                i + 1,
                                "a character after '\\'",
                                "end of query",
                            ))
                        }
                    }
                    i += 2;
                }
                Some(c) if c == quote => {
                    self.pos = i + 1;
                    return Ok((text, start));
                }
                Some(c) => {
                    text.push(c);
                    i += 1;
                }
            }
        }
    }

    fn bare(&mut self, start: usize, keep_escapes: bool) -> Result<(String, usize), ParseError> {
        let mut text = String::new();
        let mut brackets = 0usize;
        let mut parens = 0usize;
        let mut i = start;
        loop {
            let c = self.at(i);
            let next = self.at(i + 1);
            match c {
                None => break,
                Some(']') if brackets == 0 => break,
                Some(')') if parens == 0 => break,
                Some('&') if next == Some('&') => break,
                Some('|') if next == Some('|') && brackets == 0 && parens == 0 => break,
                Some('\\') => {
                    let Some(escaped) = next else {
                        return Err(ParseError::new(
                            i + 1,
                            "a character after '\\'",
                            "end of query",
                        ));
                    };
                    if keep_escapes {
                        text.push('\\');
                    }
                    text.push(escaped);
                    i += 2;
                    continue;
                }
                Some(c) => {
                    match c {
                        '[' => brackets += 1,
                        ']' => brackets -= 1,
                        '(' => parens += 1,
                        ')' => parens -= 1,
                        _ => {}
                    }
                    text.push(c);
                }
            }
            i += 1;
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ParseError::new(
                start,
                "a literal (write \"\" for empty text)",
                describe_char(self.at(i)),
            ));
        }
        let literal = trimmed.to_string();
        self.pos = i;
        Ok((literal, start))
    }
}
