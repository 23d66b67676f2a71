//! A restricted reader for the expression language that `repr` writes: calls of lrcore's
//! schedule functions, numbers, strings, lists, tuples, `None`/`True`/`False`, `+`, `-`,
//! `*`, `/`, unary `-` (binding as in Python: unary minus tighter than `*` and `/`, which bind
//! tighter than `+` and `-`, all left-associative) and the methods `.clip()`, `.shift()`, `.per_epoch()`. Nothing is ever evaluated as Python:
//! each call goes to [`build`], which knows only lrcore's functions.

use super::signature::{build, params, Arg, MAX_DEPTH};
use super::Batch;
use crate::error::{Error, Result};

/// Longest expression accepted; a real schedule is a few hundred characters.
const MAX_LEN: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Str(String),
    Ident(String),
    Punct(char),
    End,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>> {
    let err = |position: usize, message: String| Error::Parse { position, message };
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                    i += 1;
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let literal = text[start..i].replace('_', "");
            let value = literal
                .parse::<f64>()
                .map_err(|_| err(start, format!("malformed number '{}'", &text[start..i])))?;
            tokens.push((start, Token::Num(value)));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((start, Token::Ident(text[start..i].to_owned())));
        } else if c == '\'' || c == '"' {
            let close = text[i + 1..]
                .find(c)
                .ok_or_else(|| err(start, "unterminated string".into()))?;
            let body = &text[i + 1..i + 1 + close];
            if body.contains('\\') || body.contains('\n') {
                return Err(err(
                    start,
                    "strings may not contain escapes or newlines".into(),
                ));
            }
            tokens.push((start, Token::Str(body.to_owned())));
            i += close + 2;
        } else if "()[],=+*-/.".contains(c) {
            tokens.push((start, Token::Punct(c)));
            i += 1;
        } else {
            let ch = text[i..].chars().next().unwrap_or(c);
            return Err(err(start, format!("unexpected character '{ch}'")));
        }
    }
    tokens.push((text.len(), Token::End));
    Ok(tokens)
}

/// A call's positional and keyword arguments.
type CallArgs = (Vec<Arg>, Vec<(String, Arg)>);

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos].1
    }

    fn position(&self) -> usize {
        self.tokens[self.pos].0
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Parse {
            position: self.position(),
            message: message.into(),
        }
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.pos].1.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, c: char) -> bool {
        if *self.peek() == Token::Punct(c) {
            self.next();
            return true;
        }
        false
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            return Ok(());
        }
        Err(self.error(format!("expected '{c}'")))
    }

    /// Guards every recursive rule: deep nesting is an error, never a stack overflow.
    fn nested<T>(&mut self, rule: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.depth += 1;
        if self.depth > 4 * MAX_DEPTH {
            return Err(self.error(format!(
                "expression nested too deeply (more than {} levels)",
                4 * MAX_DEPTH
            )));
        }
        let result = rule(self);
        self.depth -= 1;
        result
    }

    fn sum(&mut self) -> Result<Arg> {
        self.nested(|p| {
            let mut left = p.product()?;
            loop {
                let func = if p.eat('+') {
                    "add"
                } else if p.eat('-') {
                    "sub"
                } else {
                    return Ok(left);
                };
                let right = p.product()?;
                left = Arg::Schedule(build(func, vec![left, right], Vec::new())?);
            }
        })
    }

    fn product(&mut self) -> Result<Arg> {
        let mut left = self.unary()?;
        loop {
            let func = if self.eat('*') {
                "mul"
            } else if self.eat('/') {
                "div"
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Arg::Schedule(build(func, vec![left, right], Vec::new())?);
        }
    }

    /// `-x`: a negative number, or `-1.0 * x` for a schedule.
    fn unary(&mut self) -> Result<Arg> {
        if !self.eat('-') {
            return self.postfix();
        }
        self.nested(|p| match p.unary()? {
            Arg::Num(x) => Ok(Arg::Num(-x)),
            other => Ok(Arg::Schedule(build(
                "mul",
                vec![Arg::Num(-1.0), other],
                Vec::new(),
            )?)),
        })
    }

    fn postfix(&mut self) -> Result<Arg> {
        let mut value = self.atom()?;
        while self.eat('.') {
            let position = self.position();
            let Token::Ident(method) = self.next() else {
                return Err(self.error("expected a method name after '.'"));
            };
            if !matches!(method.as_str(), "clip" | "shift" | "per_epoch") {
                return Err(Error::Parse {
                    position,
                    message: format!("unknown method '{method}'"),
                });
            }
            self.expect('(')?;
            let (mut positional, named) = self.arguments()?;
            positional.insert(0, value);
            value = Arg::Schedule(build(&method, positional, named)?);
        }
        Ok(value)
    }

    fn atom(&mut self) -> Result<Arg> {
        let position = self.position();
        match self.next() {
            Token::Num(x) => Ok(Arg::Num(x)),
            Token::Str(s) => Ok(Arg::Str(s)),
            Token::Punct('[') => Ok(Arg::List(self.items(']')?)),
            Token::Punct('(') => {
                let first = self.sum()?;
                if self.eat(')') {
                    return Ok(first);
                }
                self.expect(',')?;
                let mut items = vec![first];
                items.extend(self.items(')')?);
                Ok(Arg::List(items))
            }
            Token::Ident(name) => match name.as_str() {
                "None" => Ok(Arg::None),
                "True" => Ok(Arg::Bool(true)),
                "False" => Ok(Arg::Bool(false)),
                _ if params(&name).is_none()
                    || matches!(name.as_str(), "add" | "mul" | "sub" | "div") =>
                {
                    Err(Error::Parse {
                        position,
                        message: format!("unknown function '{name}'"),
                    })
                }
                _ => {
                    self.expect('(')?;
                    let (positional, named) = self.arguments()?;
                    Ok(Arg::Schedule(build(&name, positional, named)?))
                }
            },
            Token::End => Err(self.error("unexpected end of expression")),
            Token::Punct(c) => Err(self.error(format!("unexpected '{c}'"))),
        }
    }

    /// Comma-separated expressions up to `close` (a trailing comma is allowed).
    fn items(&mut self, close: char) -> Result<Vec<Arg>> {
        let mut items = Vec::new();
        while !self.eat(close) {
            items.push(self.sum()?);
            if !self.eat(',') {
                self.expect(close)?;
                break;
            }
        }
        Ok(items)
    }

    /// Call arguments after '(' up to ')': positional ones, then `name=value` ones.
    fn arguments(&mut self) -> Result<CallArgs> {
        let mut positional = Vec::new();
        let mut named = Vec::new();
        while !self.eat(')') {
            let keyword = match (self.peek().clone(), &self.tokens.get(self.pos + 1)) {
                (Token::Ident(name), Some((_, Token::Punct('=')))) => Some(name),
                _ => None,
            };
            if let Some(name) = keyword {
                self.next();
                self.next();
                named.push((name, self.sum()?));
            } else if named.is_empty() {
                positional.push(self.sum()?);
            } else {
                return Err(self.error("positional argument follows keyword argument"));
            }
            if !self.eat(',') {
                self.expect(')')?;
                break;
            }
        }
        Ok((positional, named))
    }
}

/// Reads an expression such as `warmup(1000, cosine(1e-3, 1e-5, 99_000)) * 0.5`.
pub fn parse(text: &str) -> Result<Batch> {
    if text.len() > MAX_LEN {
        return Err(Error::Parse {
            position: MAX_LEN,
            message: format!("expression longer than {MAX_LEN} characters"),
        });
    }
    let mut parser = Parser {
        tokens: tokenize(text)?,
        pos: 0,
        depth: 0,
    };
    let value = parser.sum()?;
    if *parser.peek() != Token::End {
        return Err(parser.error("unexpected text after the expression"));
    }
    match value {
        Arg::Schedule(batch) => Ok(batch),
        Arg::Num(x) => build("constant", vec![Arg::Num(x)], Vec::new()),
        _ => Err(Error::Parse {
            position: 0,
            message: "the expression is not a schedule".into(),
        }),
    }
}
