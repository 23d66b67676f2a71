//! ReduceLROnPlateau's rule, as torch states it: a metric that has not improved on the best
//! seen (by more than `threshold`, relative or absolute) for more than `patience` steps cuts
//! the learning rate by `factor`, down to `min_lr`; then `cooldown` steps pass before bad steps
//! count again. The caller keeps the state between steps (torch keeps it in the scheduler).

/// The rule's parameters, under torch's meanings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plateau {
    /// `mode="max"`: larger metrics are better.
    pub maximize: bool,
    /// `threshold_mode="rel"`: `threshold` is a fraction of the best metric.
    pub relative: bool,
    pub threshold: f64,
    pub patience: i64,
    pub cooldown: i64,
}

/// What the rule remembers between steps (torch's `best`, `num_bad_epochs`,
/// `cooldown_counter`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlateauState {
    pub best: f64,
    pub bad_epochs: i64,
    pub cooldown_counter: i64,
}

impl Plateau {
    /// Whether `metric` improves on `best`: `metric < best * (1 - threshold)` for min / rel,
    /// `metric < best - threshold` for min / abs, and the mirror images for max.
    pub fn is_better(&self, metric: f64, best: f64) -> bool {
        match (self.maximize, self.relative) {
            (false, true) => metric < best * (1.0 - self.threshold),
            (false, false) => metric < best - self.threshold,
            (true, true) => metric > best * (self.threshold + 1.0),
            (true, false) => metric > best + self.threshold,
        }
    }

    /// One step with `metric`: updates `state` and returns whether to cut the rates now.
    pub fn observe(&self, state: &mut PlateauState, metric: f64) -> bool {
        if self.is_better(metric, state.best) {
            state.best = metric;
            state.bad_epochs = 0;
        } else {
            state.bad_epochs += 1;
        }
        if state.cooldown_counter > 0 {
            state.cooldown_counter -= 1;
            state.bad_epochs = 0; // bad steps in cooldown do not count
        }
        if state.bad_epochs > self.patience {
            state.cooldown_counter = self.cooldown;
            state.bad_epochs = 0;
            return true;
        }
        false
    }
}

/// The cut rate `max(rate * factor, min_lr)`, or None where it moves the rate by no more than
/// `eps` (torch then leaves the rate alone). `max` is Python's: `min_lr` only if larger.
pub fn cut(rate: f64, factor: f64, min_lr: f64, eps: f64) -> Option<f64> {
    let scaled = rate * factor;
    let new = if min_lr > scaled { min_lr } else { scaled };
    (rate - new > eps).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN_REL: Plateau = Plateau {
        maximize: false,
        relative: true,
        threshold: 0.1,
        patience: 1,
        cooldown: 1,
    };

    fn fresh() -> PlateauState {
        PlateauState {
            best: f64::INFINITY,
            bad_epochs: 0,
            cooldown_counter: 0,
        }
    }

    #[test]
    fn thresholds_in_every_mode() {
        let rule = |maximize, relative| Plateau {
            maximize,
            relative,
            ..MIN_REL
        };
        assert!(rule(false, true).is_better(0.89, 1.0));
        assert!(!rule(false, true).is_better(0.9, 1.0));
        assert!(rule(false, false).is_better(0.89, 1.0));
        assert!(!rule(false, false).is_better(0.9, 1.0));
        assert!(rule(true, true).is_better(1.11, 1.0));
        assert!(!rule(true, true).is_better(1.1, 1.0));
        assert!(rule(true, false).is_better(1.11, 1.0));
        assert!(!rule(true, false).is_better(1.1, 1.0));
        assert!(!rule(false, true).is_better(f64::NAN, 1.0));
    }

    #[test]
    fn cuts_after_patience_then_cools_down() {
        let mut state = fresh();
        let cuts: Vec<bool> = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
            .iter()
            .map(|&m| MIN_REL.observe(&mut state, m))
            .collect();
        // improve, bad 1, bad 2 > patience (cut, cooldown 1), cooldown, bad 1, bad 2 (cut), ...
        assert_eq!(cuts, [false, false, true, false, false, true, false]);
        assert_eq!(state.best, 1.0);
    }

    #[test]
    fn cut_respects_min_lr_and_eps() {
        assert_eq!(cut(0.1, 0.5, 0.0, 1e-8), Some(0.05));
        assert_eq!(cut(0.1, 0.5, 0.08, 1e-8), Some(0.08));
        assert_eq!(cut(0.1, 0.5, 0.1, 1e-8), None);
        assert_eq!(cut(1e-9, 0.5, 0.0, 1e-8), None);
    }
}
