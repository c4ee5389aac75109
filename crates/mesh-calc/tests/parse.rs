//! Lexer and parser: every statement form, precedence, error positions.

use mesh_calc::ast::{BinaryOp, ExprKind, StatementKind};
use mesh_calc::lexer::{tokenize, TokenKind};
use mesh_calc::parser::parse;
use mesh_calc::{Limits, ParseError};

fn ok(src: &str) -> mesh_calc::ast::Program {
    parse(src, &Limits::default()).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn err(src: &str) -> ParseError {
    parse(src, &Limits::default()).expect_err(src)
}

#[test]
fn tokens_have_positions_and_kinds() {
    let t = tokenize("## = @t('a') + NaN\nx=2.5").unwrap();
    let kinds: Vec<_> = t.iter().map(|t| t.kind.clone()).collect();
    assert_eq!(kinds[0], TokenKind::Result);
    assert_eq!(kinds[2], TokenKind::Function("t".into()));
    assert_eq!(kinds[4], TokenKind::Str("a".into()));
    assert!(matches!(kinds[7], TokenKind::Number(n) if n.is_nan()));
    assert_eq!(kinds[8], TokenKind::Newline);
    assert_eq!((t[9].span.line, t[9].span.column), (2, 1));
    assert_eq!(t[11].kind, TokenKind::Number(2.5));
    assert_eq!((t[11].span.line, t[11].span.column), (2, 3));
}

#[test]
fn newlines_inside_brackets_are_whitespace() {
    let p = ok("## = @SUM(\n  {1,\n 2})\n");
    assert_eq!(p.statements.len(), 1);
}

#[test]
fn every_statement_form() {
    for src in ["## = 1\n", "##= 1\n", "##=1", "##=1\n\n"] {
        assert!(
            matches!(ok(src).statements[0].kind, StatementKind::SetResult(_)),
            "{src}"
        );
    }
    let p = ok("temp=@t('.TsRawAtt')\ngt2 = @ABS(temp) > 2\n## = temp - 1000\nIF (gt2) THEN\n## = temp + 1000\nENDIF\n");
    assert_eq!(p.statements.len(), 4);
    assert!(matches!(&p.statements[0].kind, StatementKind::Assign { name, .. } if name == "temp"));
    match &p.statements[3].kind {
        StatementKind::If { body, .. } => assert_eq!(body.len(), 1),
        other => panic!("{other:?}"),
    }
    let p = ok("@PDLOG(12004, 'TEST') \n##= @d('.DblAtt') + @t(\".TsRawAtt\")\n\n");
    assert!(matches!(p.statements[0].kind, StatementKind::Call(_)));
    let p = ok("@DisableCache()\nif x > 0.1 then\n## = 1\nendif");
    assert!(matches!(p.statements[1].kind, StatementKind::If { .. }));
    ok("## = {'DAY','DAY+8h'}\n## = x >= -2 ? x : 0\n");
    ok("## = ‘typographic’\n");
}

#[test]
fn precedence() {
    let p = ok("## = 1 + 2 * 3 > 4 ? -2 ^ 2 : 0");
    let StatementKind::SetResult(e) = &p.statements[0].kind else {
        panic!()
    };
    let ExprKind::Ternary(cond, yes, _) = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Binary(BinaryOp::Gt, sum, _) = &cond.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Add, _, product) = &sum.kind else {
        panic!()
    };
    assert!(matches!(
        product.kind,
        ExprKind::Binary(BinaryOp::Mul, _, _)
    ));
    // Unary minus applies to the power.
    assert!(matches!(yes.kind, ExprKind::Unary(_, _)));
}

#[test]
fn error_messages_name_line_column_expected_found() {
    let e = err("## = 1\n## = (1, 2)\n");
    assert_eq!(
        e.to_string(),
        "line 2, column 8: expected ')' but found ','"
    );
    let e = err("## = @t('a'))\n");
    assert_eq!((e.line, e.column), (1, 13));
    assert_eq!(e.found, "')'");
    let e = err("## = 'open\n");
    assert_eq!((e.line, e.column), (1, 11));
    assert!(e.expected.contains("closing quote"), "{e}");
    let e = err("IF 1 THEN\n## = 2\n");
    assert!(
        e.expected
            .contains("'ENDIF' closing the IF at line 1, column 1"),
        "{e}"
    );
    let e = err("x 1");
    assert_eq!(
        e.to_string(),
        "line 1, column 3: expected '=' but found number 1"
    );
    let e = err("## = 1 $");
    assert_eq!((e.line, e.column), (1, 8));
    let e = err("## = \n");
    assert_eq!(e.found, "end of line");
    let e = err("1 + 2");
    assert!(e.expected.starts_with("a statement"), "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "(".repeat(100_000);
    let e = err(&format!("## = {deep}1"));
    assert!(e.expected.contains("128 levels"), "{e}");
    let e = err(&format!("## = {}1", "-".repeat(100_000)));
    assert!(e.expected.contains("128 levels"), "{e}");
    // A long left-associative chain builds a deep tree: bounded too.
    let e = err(&format!("## = 1{}", "+1".repeat(100_000)));
    assert!(e.expected.contains("128 levels"), "{e}");
    let e = err(&format!("## = {}1", "@ABS(".repeat(100_000)));
    assert!(e.expected.contains("128 levels"), "{e}");
    let e = err(&"IF 1 THEN\n".repeat(100_000));
    assert!(e.expected.contains("128 levels"), "{e}");
    // Within the bound parses.
    ok(&format!("## = {}1{}", "(".repeat(100), ")".repeat(100)));
}

#[test]
fn text_length_is_bounded() {
    let limits = Limits {
        max_source_bytes: 10,
        ..Limits::default()
    };
    let e = parse("## = 1 + 2 + 3", &limits).unwrap_err();
    assert!(e.expected.contains("at most 10 bytes"), "{e}");
}
