//! A search space: named distributions, some active only under conditions on others.

use super::dist::Dist;
use crate::error::{Error, Result};

/// "Active only where parameter `parent` takes one of `levels`": option indices for a choice
/// parent, integer values for an integer parent.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub parent: String,
    pub levels: Vec<i64>,
}

/// One named parameter; active where all its conditions hold (and their parents are active).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub dist: Dist,
    pub when: Vec<Condition>,
}

/// A checked space: parameter `i` is dimension `i` of every method's stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    pub(crate) params: Vec<Param>,
    /// Resolved conditions: (parent index, levels) per parameter.
    pub(crate) conds: Vec<Vec<(usize, Vec<i64>)>>,
    /// Parameters in an order where parents come before their children (declaration order
    /// where the conditions allow).
    pub(crate) order: Vec<usize>,
    /// Whether some condition looks at the parameter.
    pub(crate) is_parent: Vec<bool>,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Space {
    pub fn new(params: Vec<Param>) -> Result<Space> {
        if params.is_empty() {
            return Err(Error::value(
                "Space",
                "the space",
                "given at least one parameter",
                "none",
            ));
        }
        let index = |name: &str| params.iter().position(|p| p.name == name);
        for (i, p) in params.iter().enumerate() {
            if index(&p.name) != Some(i) {
                return Err(Error::value(
                    "Space",
                    "parameter names",
                    "unique",
                    format!("{} twice", quote(&p.name)),
                ));
            }
        }
        let mut conds = Vec::with_capacity(params.len());
        let mut is_parent = vec![false; params.len()];
        for (i, p) in params.iter().enumerate() {
            let mut mine = Vec::new();
            for c in &p.when {
                let who = format!("{}'s condition", p.name);
                let j = match index(&c.parent) {
                    Some(j) if j != i => j,
                    _ => {
                        return Err(Error::value(
                            "Space",
                            &who,
                            "on another parameter of the space",
                            quote(&c.parent),
                        ))
                    }
                };
                let parent = &params[j].dist;
                if !parent.is_discrete() {
                    return Err(Error::value(
                        "Space",
                        &format!("{who} on {}", quote(&c.parent)),
                        "on a choice or integer parameter",
                        format!("a {} parameter", parent.kind()),
                    ));
                }
                if c.levels.is_empty() {
                    return Err(Error::value(
                        "Space",
                        &format!("{who} on {}", quote(&c.parent)),
                        "at least one value",
                        "[]",
                    ));
                }
                if let Some(bad) = c.levels.iter().find(|&&l| !parent.has_level(l)) {
                    return Err(Error::value(
                        "Space",
                        &format!("{who} on {}", quote(&c.parent)),
                        format!("values that {} can take", quote(&c.parent)),
                        bad.to_string(),
                    ));
                }
                is_parent[j] = true;
                mine.push((j, c.levels.clone()));
            }
            conds.push(mine);
        }
        let order = topological(&params, &conds)?;
        Ok(Space {
            params,
            conds,
            order,
            is_parent,
        })
    }

    pub fn params(&self) -> &[Param] {
        &self.params
    }

    pub fn len(&self) -> usize {
        self.params.len()
    }

    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Whether parameter `i` has conditions (its column then holds NaN / −1 where inactive).
    pub fn conditional(&self, i: usize) -> bool {
        !self.conds[i].is_empty()
    }
}

/// Kahn's algorithm, always taking the earliest declared parameter that is ready.
fn topological(params: &[Param], conds: &[Vec<(usize, Vec<i64>)>]) -> Result<Vec<usize>> {
    let n = params.len();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n).find(|&i| !done[i] && conds[i].iter().all(|(j, _)| done[*j]));
        match next {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => {
                // Walk parents from a blocked parameter until one repeats: that is a cycle.
                let mut path = vec![(0..n).find(|&i| !done[i]).unwrap_or(0)];
                loop {
                    let last = *path.last().unwrap_or(&0);
                    let parent = conds[last]
                        .iter()
                        .map(|(j, _)| *j)
                        .find(|&j| !done[j])
                        .unwrap_or(last);
                    if let Some(at) = path.iter().position(|&p| p == parent) {
                        let mut cycle: Vec<&str> = path[at..]
                            .iter()
                            .map(|&p| params[p].name.as_str())
                            .collect();
                        cycle.push(cycle[0]);
                        return Err(Error::value(
                            "Space",
                            "conditions",
                            "free of cycles",
                            cycle.join(" -> "),
                        ));
                    }
                    path.push(parent);
                }
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::ChoiceValues;

    fn opt() -> Dist {
        Dist::choice(2, None, ChoiceValues::Other).unwrap()
    }

    fn p(name: &str, dist: Dist, when: &[(&str, &[i64])]) -> Param {
        Param {
            name: name.into(),
            dist,
            when: when
                .iter()
                .map(|(n, l)| Condition {
                    parent: (*n).into(),
                    levels: l.to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn errors() {
        let err = |ps: Vec<Param>| Space::new(ps).unwrap_err().to_string();
        assert_eq!(
            err(vec![]),
            "Space(): the space must be given at least one parameter, got none"
        );
        let u = Dist::uniform(0.0, 1.0, None).unwrap();
        assert_eq!(
            err(vec![p("m", u.clone(), &[("opt", &[0])])]),
            "Space(): m's condition must be on another parameter of the space, got 'opt'"
        );
        assert_eq!(
            err(vec![p("a", u.clone(), &[]), p("m", u.clone(), &[("a", &[0])])]),
            "Space(): m's condition on 'a' must be on a choice or integer parameter, got a uniform parameter"
        );
        assert_eq!(
            err(vec![
                p("a", opt(), &[("b", &[0])]),
                p("b", opt(), &[("a", &[1])])
            ]),
            "Space(): conditions must be free of cycles, got a -> b -> a"
        );
        assert_eq!(
            err(vec![p("a", opt(), &[]), p("b", u, &[("a", &[2])])]),
            "Space(): b's condition on 'a' must be values that 'a' can take, got 2"
        );
    }

    #[test]
    fn parents_come_first() {
        let u = Dist::uniform(0.0, 1.0, None).unwrap();
        let s = Space::new(vec![p("m", u, &[("opt", &[0])]), p("opt", opt(), &[])]).unwrap();
        assert_eq!(s.order, vec![1, 0]);
        assert_eq!(s.is_parent, vec![false, true]);
    }
}
