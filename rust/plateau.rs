//! torch's ReduceLROnPlateau rule: once a metric has not improved for more than `patience`
//! steps, the learning rate is cut and a cool-down of `cooldown` steps begins. This is the
//! bookkeeping of a step; the cut itself (the param groups' rates) is the caller's.

/// A number as torch keeps it: an int stays an int, so state dicts keep their types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn value(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }

    /// `self + k` as Python computes it; None past i64 (Python's ints do not overflow).
    fn plus(self, k: i64) -> Option<Num> {
        match self {
            Num::Int(i) => i.checked_add(k).map(Num::Int),
            Num::Float(x) => Some(Num::Float(x + k as f64)),
        }
    }

    /// `self > other`, exact for the values counters take (|i| < 2^53).
    fn exceeds(self, other: Num) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a > b,
            (a, b) => a.value() > b.value(),
        }
    }
}

/// torch's `_is_better`, chosen by `mode` and `threshold_mode` in torch's order (a mode that
/// is neither "min" nor "max" compares as "max" with "abs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    MinRel,
    MinAbs,
    MaxRel,
    MaxAbs,
}

impl Rule {
    pub fn new(min: bool, max: bool, rel: bool, abs: bool) -> Rule {
        match (min, max, rel, abs) {
            (true, _, true, _) => Rule::MinRel,
            (true, _, _, true) => Rule::MinAbs,
            (_, true, true, _) => Rule::MaxRel,
            _ => Rule::MaxAbs,
        }
    }

    /// Whether metric `a` improves on `best`: `a < best · (1 − threshold)` (min, rel),
    /// `a < best − threshold` (min, abs), `a > best · (1 + threshold)` (max, rel) or
    /// `a > best + threshold` (max, abs).
    pub fn is_better(self, a: f64, best: f64, threshold: f64) -> bool {
        match self {
            Rule::MinRel => a < best * (1.0 - threshold),
            Rule::MinAbs => a < best - threshold,
            Rule::MaxRel => a > best * (threshold + 1.0),
            Rule::MaxAbs => a > best + threshold,
        }
    }
}

/// What a step updates, under torch's attribute names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counters {
    pub last_epoch: Num,
    pub best: Num,
    pub num_bad_epochs: Num,
    pub cooldown_counter: Num,
}

/// The settings a step reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plateau {
    pub rule: Rule,
    pub threshold: Num,
    pub patience: Num,
    pub cooldown: Num,
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Only counts: the counters after it.
    Count(Counters),
    /// Cuts the learning rate (the caller's part), then the counters are these.
    Cut(Counters),
}

impl Plateau {
    /// What torch's `step(current)` does: the counters after it, and whether it cuts the
    /// learning rate (after more than `patience` bad steps outside a cool-down). None where a
    /// counter would pass i64.
    pub fn observe(&self, c: &Counters, current: f64) -> Option<Step> {
        let mut next = Counters {
            last_epoch: c.last_epoch.plus(1)?,
            ..*c
        };
        if self
            .rule
            .is_better(current, c.best.value(), self.threshold.value())
        {
            next.best = Num::Float(current);
            next.num_bad_epochs = Num::Int(0);
        } else {
            next.num_bad_epochs = c.num_bad_epochs.plus(1)?;
        }
        if c.cooldown_counter.exceeds(Num::Int(0)) {
            next.cooldown_counter = c.cooldown_counter.plus(-1)?;
            next.num_bad_epochs = Num::Int(0);
        }
        if !next.num_bad_epochs.exceeds(self.patience) {
            return Some(Step::Count(next));
        }
        next.cooldown_counter = self.cooldown;
        next.num_bad_epochs = Num::Int(0);
        Some(Step::Cut(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Counters {
        Counters {
            last_epoch: Num::Int(0),
            best: Num::Float(f64::INFINITY),
            num_bad_epochs: Num::Int(0),
            cooldown_counter: Num::Int(0),
        }
    }

    /// The counters of a step that only counts.
    fn count(rule: &Plateau, c: &Counters, current: f64) -> Counters {
        match rule.observe(c, current) {
            Some(Step::Count(next)) => next,
            other => panic!("expected a counting step, got {other:?}"),
        }
    }

    #[test]
    fn counts_bad_steps_until_patience_runs_out() {
        let rule = Plateau {
            rule: Rule::MinRel,
            threshold: Num::Float(0.1),
            patience: Num::Int(2),
            cooldown: Num::Int(3),
        };
        let c = count(&rule, &start(), 1.0);
        assert_eq!((c.best, c.num_bad_epochs), (Num::Float(1.0), Num::Int(0)));
        // 0.95 is not below 1.0 · 0.9: a bad step.
        let c = count(&rule, &c, 0.95);
        let c = count(&rule, &c, 0.91);
        assert_eq!((c.last_epoch, c.num_bad_epochs), (Num::Int(3), Num::Int(2)));
        let cut = Counters {
            last_epoch: Num::Int(4),
            cooldown_counter: Num::Int(3),
            num_bad_epochs: Num::Int(0),
            ..c
        };
        assert_eq!(rule.observe(&c, 0.95), Some(Step::Cut(cut)));
        assert_eq!(count(&rule, &c, 0.5).best, Num::Float(0.5));
    }

    #[test]
    fn cool_down_clears_bad_steps_and_keeps_types() {
        let rule = Plateau {
            rule: Rule::MaxAbs,
            threshold: Num::Int(1),
            patience: Num::Float(0.5),
            cooldown: Num::Float(0.5),
        };
        let c = Counters {
            cooldown_counter: Num::Float(0.5),
            best: Num::Float(3.0),
            ..start()
        };
        let c = count(&rule, &c, 3.5);
        assert_eq!(c.cooldown_counter, Num::Float(-0.5));
        assert_eq!(c.num_bad_epochs, Num::Int(0));
        assert!(matches!(rule.observe(&c, 3.5), Some(Step::Cut(_))));
        assert_eq!(count(&rule, &c, 4.5).best, Num::Float(4.5));
    }

    #[test]
    fn rules_follow_torch_order() {
        assert_eq!(Rule::new(true, false, true, false), Rule::MinRel);
        assert_eq!(Rule::new(true, false, false, true), Rule::MinAbs);
        assert_eq!(Rule::new(true, false, false, false), Rule::MaxAbs);
        assert_eq!(Rule::new(false, true, true, false), Rule::MaxRel);
        assert_eq!(Rule::new(false, false, true, false), Rule::MaxAbs);
        assert!(Rule::MaxRel.is_better(2.0, 1.0, 0.5));
        assert!(!Rule::MinAbs.is_better(0.95, 1.0, 0.1));
        let overflow = Counters {
            last_epoch: Num::Int(i64::MAX),
            ..start()
        };
        let rule = Plateau {
            rule: Rule::MinRel,
            threshold: Num::Int(0),
            patience: Num::Int(10),
            cooldown: Num::Int(0),
        };
        assert_eq!(rule.observe(&overflow, 1.0), None);
    }
}
