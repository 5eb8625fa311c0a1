//! The cycle model of a stream design's handshakes: it replays, cycle by cycle, exactly the
//! control logic the stages are built with (no data), for images fed back to back with the
//! output always ready. Its measurements are the latency and II the report promises and the
//! co-simulation checks.
//!
//! Cycle `t` ends with a rising edge; a transfer happens at the edge of a cycle in which `valid`
//! and `ready` are both high.

use std::collections::VecDeque;

/// The handshake behaviour of one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// A stage with a pipelined core and an output FIFO of `depth` entries. It accepts a beat
    /// when `pending < depth` (results issued and not yet taken from the FIFO) and, with
    /// `reuse > 1`, no beat was accepted in the last `reuse − 1` cycles. Beat `k` of an image
    /// issues a result iff `completes[k]`; that result is at the FIFO output `latency` cycles
    /// after the accepting edge's cycle.
    Core {
        completes: Vec<bool>,
        reuse: usize,
        latency: u32,
        depth: usize,
    },
    /// Zero padding: output beat `k` of an image is an input beat iff `interior[k]`, otherwise
    /// a zero generated without input. Generates when its 2-entry FIFO has room (and, for an
    /// interior beat, the input is valid); a generated beat is at the output one cycle later.
    Pad { interior: Vec<bool>, depth: usize },
    /// Collects `beats` input beats into one output vector held until taken. Ready while not
    /// holding a vector, or when the held vector is being taken in the same cycle.
    Collect { beats: usize },
}

/// State of one stage in the model.
#[derive(Debug, Clone)]
enum State {
    Core {
        k: usize,
        pending: usize,
        cool: usize,
        /// Cycles at which issued results appear at the FIFO output.
        in_flight: VecDeque<u64>,
        visible: usize,
    },
    Pad {
        k: usize,
        pending: usize,
        arriving: VecDeque<u64>,
        visible: usize,
    },
    Collect {
        k: usize,
        full: bool,
    },
}

/// What the model measured for `images` images fed back to back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// Cycle of the edge accepting each image's first input beat.
    pub first_in: Vec<u64>,
    /// Cycle of the edge transferring each image's last output beat.
    pub last_out: Vec<u64>,
}

impl Measured {
    /// Cycles from the first input beat of image 0 accepted to its last output beat transferred.
    pub fn latency(&self) -> u32 {
        (self.last_out[0] - self.first_in[0]) as u32
    }

    /// The largest spacing between the first input beats of consecutive images.
    pub fn ii(&self) -> u32 {
        self.first_in
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .max()
            .unwrap_or(0)
    }
}

/// Runs `images` images of `in_beats` beats each through `stages`; the last stage produces
/// `out_beats` beats per image. `None` if the design stops making progress (an internal error:
/// the stages deadlock).
pub fn simulate(
    stages: &[Behaviour],
    in_beats: usize,
    out_beats: usize,
    images: usize,
) -> Option<Measured> {
    let mut states: Vec<State> = stages.iter().map(initial).collect();
    let total_in = in_beats * images;
    let total_out = out_beats * images;
    let (mut sent, mut received) = (0usize, 0usize);
    let mut measured = Measured {
        first_in: vec![],
        last_out: vec![],
    };
    let mut idle = 0u64;
    let mut t: u64 = 0;
    while received < total_out {
        for s in states.iter_mut() {
            reveal(s, t);
        }
        let n = stages.len();
        let valid_out: Vec<bool> = states.iter().map(out_valid).collect();
        // Readiness flows backwards; a Collect stage's ready depends on its consumer's.
        let mut ready_in = vec![false; n];
        let mut downstream_ready = true;
        for i in (0..n).rev() {
            ready_in[i] = in_ready(&stages[i], &states[i], downstream_ready);
            downstream_ready = ready_in[i];
        }
        let mut progress = false;
        for i in 0..n {
            let in_valid = if i == 0 {
                sent < total_in
            } else {
                valid_out[i - 1]
            };
            let out_ready = if i + 1 == n { true } else { ready_in[i + 1] };
            let pop = valid_out[i] && out_ready;
            let accept = in_valid && ready_in[i];
            if i == 0 && accept {
                if sent % in_beats == 0 {
                    measured.first_in.push(t);
                }
                sent += 1;
            }
            if i + 1 == n && pop {
                received += 1;
                if received % out_beats == 0 {
                    measured.last_out.push(t);
                }
            }
            progress |= accept || pop;
            step(&stages[i], &mut states[i], t, in_valid, accept, pop);
        }
        if progress {
            idle = 0;
        } else {
            idle += 1;
            if idle > 10_000 {
                return None;
            }
        }
        t += 1;
    }
    Some(measured)
}

fn initial(b: &Behaviour) -> State {
    match b {
        Behaviour::Core { .. } => State::Core {
            k: 0,
            pending: 0,
            cool: 0,
            in_flight: VecDeque::new(),
            visible: 0,
        },
        Behaviour::Pad { .. } => State::Pad {
            k: 0,
            pending: 0,
            arriving: VecDeque::new(),
            visible: 0,
        },
        Behaviour::Collect { .. } => State::Collect { k: 0, full: false },
    }
}

/// Moves results that reach the FIFO output by cycle `t` into view.
fn reveal(s: &mut State, t: u64) {
    let (queue, visible) = match s {
        State::Core {
            in_flight, visible, ..
        } => (in_flight, visible),
        State::Pad {
            arriving, visible, ..
        } => (arriving, visible),
        State::Collect { .. } => return,
    };
    while queue.front().is_some_and(|&at| at <= t) {
        queue.pop_front();
        *visible += 1;
    }
}

fn out_valid(s: &State) -> bool {
    match s {
        State::Core { visible, .. } | State::Pad { visible, .. } => *visible > 0,
        State::Collect { full, .. } => *full,
    }
}

fn in_ready(b: &Behaviour, s: &State, out_ready: bool) -> bool {
    match (b, s) {
        (Behaviour::Core { depth, .. }, State::Core { pending, cool, .. }) => {
            pending < depth && *cool == 0
        }
        (Behaviour::Pad { interior, depth }, State::Pad { k, pending, .. }) => {
            interior[*k] && pending < depth
        }
        (Behaviour::Collect { .. }, State::Collect { full, .. }) => !full || out_ready,
        _ => unreachable!("states are built from their behaviours"),
    }
}

/// The edge at the end of cycle `t`.
fn step(b: &Behaviour, s: &mut State, t: u64, in_valid: bool, accept: bool, pop: bool) {
    match (b, s) {
        (
            Behaviour::Core {
                completes,
                reuse,
                latency,
                ..
            },
            State::Core {
                k,
                pending,
                cool,
                in_flight,
                visible,
            },
        ) => {
            if accept {
                if completes[*k] {
                    *pending += 1;
                    in_flight.push_back(t + *latency as u64);
                }
                *k = (*k + 1) % completes.len();
                *cool = reuse - 1;
            } else {
                *cool = cool.saturating_sub(1);
            }
            if pop {
                *pending -= 1;
                *visible -= 1;
            }
        }
        (
            Behaviour::Pad { interior, depth },
            State::Pad {
                k,
                pending,
                arriving,
                visible,
            },
        ) => {
            let generate = *pending < *depth && (!interior[*k] || in_valid);
            if generate {
                *pending += 1;
                arriving.push_back(t + 1);
                *k = (*k + 1) % interior.len();
            }
            if pop {
                *pending -= 1;
                *visible -= 1;
            }
        }
        (Behaviour::Collect { beats }, State::Collect { k, full }) => {
            let completes = accept && *k + 1 == *beats;
            if accept {
                *k = (*k + 1) % beats;
            }
            *full = completes || (*full && !pop);
        }
        _ => unreachable!("states are built from their behaviours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(completes: Vec<bool>, reuse: usize, latency: u32, depth: usize) -> Behaviour {
        Behaviour::Core {
            completes,
            reuse,
            latency,
            depth,
        }
    }

    #[test]
    fn a_single_core_stage_takes_one_beat_per_cycle() {
        let m = simulate(&[core(vec![true; 4], 1, 3, 5)], 4, 4, 3).unwrap();
        assert_eq!(m.first_in, vec![0, 4, 8]);
        // The last beat of image 0 is accepted at edge 3 and visible in cycle 6.
        assert_eq!(m.latency(), 6);
        assert_eq!(m.ii(), 4);
    }

    #[test]
    fn reuse_spaces_accepted_beats() {
        let m = simulate(&[core(vec![true; 3], 2, 3, 4)], 3, 3, 2).unwrap();
        assert_eq!(m.first_in, vec![0, 6]);
        assert_eq!(m.ii(), 6);
    }

    #[test]
    fn a_shallow_fifo_throttles_the_input() {
        // Depth 1 with a 3-cycle result latency: a beat only every 4 cycles.
        let m = simulate(&[core(vec![true; 2], 1, 3, 1)], 2, 2, 2).unwrap();
        assert_eq!(m.first_in, vec![0, 8]);
    }

    #[test]
    fn padding_adds_beats_and_collect_closes_an_image() {
        let stages = [
            Behaviour::Pad {
                interior: vec![false, true, true, false],
                depth: 2,
            },
            Behaviour::Collect { beats: 4 },
        ];
        let m = simulate(&stages, 2, 1, 3).unwrap();
        assert_eq!(m.ii(), 4);
        // The first input beat is accepted at edge 1 (after one border beat); the four output
        // beats are collected at edges 1..=4 and the vector is taken at edge 5.
        assert_eq!(m.first_in[0], 1);
        assert_eq!(m.latency(), 4);
    }
}
