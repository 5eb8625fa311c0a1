//! The cycle model of a stream design's handshakes: it replays, cycle by cycle, exactly the
//! control logic the stages and the top module's forks are built with (no data), for images fed
//! back to back with the output always ready. Its measurements are the latency and II the report
//! promises and the co-simulation checks, and the occupancy of every join's operand FIFOs.
//!
//! Cycle `t` ends with a rising edge; a transfer happens at the edge of a cycle in which `valid`
//! and `ready` are both high. A value read by several stages (a fork) transfers to all of them
//! at once: each consumer sees `valid` only while every other consumer is ready, and the
//! producer sees `ready` only when all of them are.

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
    /// A join (Add, Concat): operand `p` enters a FIFO of `fifo_depths[p]` beats, ready while
    /// that FIFO has room or is being consumed from. When every FIFO holds a beat and
    /// `pending < depth`, one beat of each is consumed and issues a result, at the output FIFO's
    /// output `latency` cycles after the consuming edge's cycle (as a Core stage's).
    Join {
        fifo_depths: Vec<usize>,
        latency: u32,
        depth: usize,
    },
}

impl Behaviour {
    /// How many values the stage reads.
    fn operands(&self) -> usize {
        match self {
            Behaviour::Join { fifo_depths, .. } => fifo_depths.len(),
            _ => 1,
        }
    }
}

/// Stages in a topological order and the values they read: value 0 is the design input, value
/// `k + 1` the output of stage `k`.
#[derive(Debug, Clone, Copy)]
pub struct Network<'a> {
    pub stages: &'a [Behaviour],
    /// `operands[k][p]`: the value operand `p` of stage `k` reads.
    pub operands: &'a [Vec<usize>],
    /// The value that is the design output.
    pub output: usize,
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
    Join {
        /// Beats in each operand FIFO, and the most it ever held.
        counts: Vec<usize>,
        peaks: Vec<usize>,
        pending: usize,
        in_flight: VecDeque<u64>,
        visible: usize,
    },
}

/// What the model measured for `images` images fed back to back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// Cycle of the edge accepting each image's first input beat.
    pub first_in: Vec<u64>,
    /// Cycle of the edge transferring each image's last output beat.
    pub last_out: Vec<u64>,
    /// For each stage, the most beats each of its operand FIFOs held (empty for non-joins).
    pub fifo_peaks: Vec<Vec<usize>>,
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

/// Who reads each value: `(stage, operand)` pairs. The design output's reader, the output
/// port, is always ready.
struct Readers {
    of: Vec<Vec<(usize, usize)>>,
}

impl Readers {
    fn of(net: &Network) -> Readers {
        let mut of = vec![vec![]; net.stages.len() + 1];
        for (k, operands) in net.operands.iter().enumerate() {
            for (p, &v) in operands.iter().enumerate() {
                of[v].push((k, p));
            }
        }
        Readers { of }
    }

    /// Whether value `v` transfers if valid: every reader is ready (the output always is).
    fn all_ready(&self, v: usize, ready: &[Vec<bool>]) -> bool {
        self.of[v].iter().all(|&(k, p)| ready[k][p])
    }

    /// Whether reader `(k, p)` of value `v` sees it valid: it is, and every other reader is
    /// ready.
    fn valid_for(&self, v: usize, valid: bool, k: usize, p: usize, ready: &[Vec<bool>]) -> bool {
        valid
            && self.of[v]
                .iter()
                .all(|&(j, q)| (j, q) == (k, p) || ready[j][q])
    }
}

/// Runs `images` images of `in_beats` beats each through `net`, whose output has `out_beats`
/// beats per image. `None` if the design stops making progress (an internal error: the stages
/// deadlock).
pub fn simulate(
    net: &Network,
    in_beats: usize,
    out_beats: usize,
    images: usize,
) -> Option<Measured> {
    let stages = net.stages;
    let readers = Readers::of(net);
    let mut states: Vec<State> = stages.iter().map(initial).collect();
    let total_in = in_beats * images;
    let total_out = out_beats * images;
    let (mut sent, mut received) = (0usize, 0usize);
    let mut measured = Measured {
        first_in: vec![],
        last_out: vec![],
        fifo_peaks: vec![],
    };
    let mut idle = 0u64;
    let mut t: u64 = 0;
    let n = stages.len();
    while received < total_out {
        for s in states.iter_mut() {
            reveal(s, t);
        }
        let mut valid = vec![sent < total_in];
        valid.extend(states.iter().map(out_valid));
        // Readiness flows backwards: a Collect stage's ready depends on its readers'.
        let mut ready: Vec<Vec<bool>> = stages.iter().map(|b| vec![false; b.operands()]).collect();
        for k in (0..n).rev() {
            let out_ready = readers.all_ready(k + 1, &ready);
            ready[k] = in_ready(&stages[k], &states[k], out_ready);
        }
        let mut progress = false;
        if valid[0] && readers.all_ready(0, &ready) {
            if sent % in_beats == 0 {
                measured.first_in.push(t);
            }
            sent += 1;
            progress = true;
        }
        let output_taken = valid[net.output] && readers.all_ready(net.output, &ready);
        if output_taken {
            received += 1;
            if received % out_beats == 0 {
                measured.last_out.push(t);
            }
        }
        for k in 0..n {
            let in_valid: Vec<bool> = net.operands[k]
                .iter()
                .enumerate()
                .map(|(p, &v)| readers.valid_for(v, valid[v], k, p, &ready))
                .collect();
            let accept: Vec<bool> = in_valid
                .iter()
                .zip(&ready[k])
                .map(|(&v, &r)| v && r)
                .collect();
            let pop = valid[k + 1] && readers.all_ready(k + 1, &ready);
            progress |= accept.iter().any(|&a| a) || pop;
            step(&stages[k], &mut states[k], t, &in_valid, &accept, pop);
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
    measured.fifo_peaks = states
        .iter()
        .map(|s| match s {
            State::Join { peaks, .. } => peaks.clone(),
            _ => vec![],
        })
        .collect();
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
        Behaviour::Join { fifo_depths, .. } => State::Join {
            counts: vec![0; fifo_depths.len()],
            peaks: vec![0; fifo_depths.len()],
            pending: 0,
            in_flight: VecDeque::new(),
            visible: 0,
        },
    }
}

/// Moves results that reach the FIFO output by cycle `t` into view.
fn reveal(s: &mut State, t: u64) {
    let (queue, visible) = match s {
        State::Core {
            in_flight, visible, ..
        }
        | State::Join {
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
        State::Core { visible, .. } | State::Pad { visible, .. } | State::Join { visible, .. } => {
            *visible > 0
        }
        State::Collect { full, .. } => *full,
    }
}

/// Whether a join consumes a beat of every operand at the coming edge.
fn consumes(depth: usize, counts: &[usize], pending: usize) -> bool {
    pending < depth && counts.iter().all(|&c| c > 0)
}

/// Each operand's `ready`.
fn in_ready(b: &Behaviour, s: &State, out_ready: bool) -> Vec<bool> {
    match (b, s) {
        (Behaviour::Core { depth, .. }, State::Core { pending, cool, .. }) => {
            vec![pending < depth && *cool == 0]
        }
        (Behaviour::Pad { interior, depth }, State::Pad { k, pending, .. }) => {
            vec![interior[*k] && pending < depth]
        }
        (Behaviour::Collect { .. }, State::Collect { full, .. }) => vec![!full || out_ready],
        (
            Behaviour::Join {
                fifo_depths, depth, ..
            },
            State::Join {
                counts, pending, ..
            },
        ) => {
            let consume = consumes(*depth, counts, *pending);
            counts
                .iter()
                .zip(fifo_depths)
                .map(|(c, d)| c < d || consume)
                .collect()
        }
        _ => unreachable!("states are built from their behaviours"),
    }
}

/// The edge at the end of cycle `t`.
fn step(b: &Behaviour, s: &mut State, t: u64, in_valid: &[bool], accept: &[bool], pop: bool) {
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
            if accept[0] {
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
            let generate = *pending < *depth && (!interior[*k] || in_valid[0]);
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
            let completes = accept[0] && *k + 1 == *beats;
            if accept[0] {
                *k = (*k + 1) % beats;
            }
            *full = completes || (*full && !pop);
        }
        (
            Behaviour::Join { latency, depth, .. },
            State::Join {
                counts,
                peaks,
                pending,
                in_flight,
                visible,
            },
        ) => {
            let consume = consumes(*depth, counts, *pending);
            for ((count, peak), &pushed) in counts.iter_mut().zip(peaks.iter_mut()).zip(accept) {
                *count = *count + pushed as usize - consume as usize;
                *peak = (*peak).max(*count);
            }
            if consume {
                *pending += 1;
                in_flight.push_back(t + *latency as u64);
            }
            if pop {
                *pending -= 1;
                *visible -= 1;
            }
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

    /// `stages` one after another.
    fn simulate_chain(
        stages: &[Behaviour],
        in_beats: usize,
        out_beats: usize,
        images: usize,
    ) -> Option<Measured> {
        let operands: Vec<Vec<usize>> = (0..stages.len()).map(|k| vec![k]).collect();
        let net = Network {
            stages,
            operands: &operands,
            output: stages.len(),
        };
        simulate(&net, in_beats, out_beats, images)
    }

    #[test]
    fn a_single_core_stage_takes_one_beat_per_cycle() {
        let m = simulate_chain(&[core(vec![true; 4], 1, 3, 5)], 4, 4, 3).unwrap();
        assert_eq!(m.first_in, vec![0, 4, 8]);
        // The last beat of image 0 is accepted at edge 3 and visible in cycle 6.
        assert_eq!(m.latency(), 6);
        assert_eq!(m.ii(), 4);
    }

    #[test]
    fn reuse_spaces_accepted_beats() {
        let m = simulate_chain(&[core(vec![true; 3], 2, 3, 4)], 3, 3, 2).unwrap();
        assert_eq!(m.first_in, vec![0, 6]);
        assert_eq!(m.ii(), 6);
    }

    #[test]
    fn a_shallow_fifo_throttles_the_input() {
        // Depth 1 with a 3-cycle result latency: a beat only every 4 cycles.
        let m = simulate_chain(&[core(vec![true; 2], 1, 3, 1)], 2, 2, 2).unwrap();
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
        let m = simulate_chain(&stages, 2, 1, 3).unwrap();
        assert_eq!(m.ii(), 4);
        // The first input beat is accepted at edge 1 (after one border beat); the four output
        // beats are collected at edges 1..=4 and the vector is taken at edge 5.
        assert_eq!(m.first_in[0], 1);
        assert_eq!(m.latency(), 4);
    }

    /// A residual block over 4-beat images: the long branch pads two zero beats after the image
    /// and a core completes from its third beat on, so its first result needs three input
    /// beats; the short branch is the input itself, through a FIFO of `short_depth` beats.
    fn residual(short_depth: usize) -> Option<Measured> {
        let stages = [
            Behaviour::Pad {
                interior: vec![true, true, true, true, false, false],
                depth: 2,
            },
            core(vec![false, false, true, true, true, true], 1, 4, 8),
            Behaviour::Join {
                fifo_depths: vec![usize::MAX, short_depth],
                latency: 3,
                depth: 5,
            },
        ];
        let operands = [vec![0], vec![1], vec![2, 0]];
        let net = Network {
            stages: &stages,
            operands: &operands,
            output: 3,
        };
        simulate(&net, 4, 4, 4)
    }

    #[test]
    fn a_short_branch_fifo_at_its_peak_occupancy_keeps_the_timing() {
        let free = residual(usize::MAX).unwrap();
        let peak = free.fifo_peaks[2][1];
        // Beats 0..=2 must all be in the short FIFO before the long branch's first result.
        assert!(peak >= 3, "peak {peak}");
        let sized = residual(peak).unwrap();
        assert_eq!(
            (&sized.first_in, &sized.last_out),
            (&free.first_in, &free.last_out)
        );
        assert_eq!(sized.fifo_peaks, free.fifo_peaks);
    }

    #[test]
    fn a_short_branch_fifo_too_shallow_deadlocks() {
        assert!(residual(2).is_none());
        assert!(residual(3).is_some());
    }

    #[test]
    fn a_fork_transfers_to_all_readers_at_once() {
        // A join reads the input twice: each beat moves into both FIFOs at one edge.
        let stages = [Behaviour::Join {
            fifo_depths: vec![1, 1],
            latency: 3,
            depth: 5,
        }];
        let operands = [vec![0, 0]];
        let net = Network {
            stages: &stages,
            operands: &operands,
            output: 1,
        };
        let m = simulate(&net, 2, 2, 3).unwrap();
        assert_eq!(m.first_in, vec![0, 2, 4]);
        assert_eq!(m.fifo_peaks, vec![vec![1, 1]]);
    }
}
