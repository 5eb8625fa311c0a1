//! Builds a [`Module`] stage by stage. Every net lives in a pipeline stage (the number of
//! registers between the module input and it); [`ModuleBuilder::at`] returns a net as seen in a
//! later stage, inserting (and sharing) the delay registers, so lowering never places registers by
//! hand.

use super::netlist::*;
use crate::diag::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

pub struct ModuleBuilder {
    pub m: Module,
    /// The largest estimated stage delay recorded by lowering (ns).
    pub max_stage_ns: f64,
    stage: Vec<u32>,
    delayed: BTreeMap<(NetId, u32), NetId>,
    names: BTreeSet<String>,
    /// Prepended to the name of every net created (see [`ModuleBuilder::scoped`]).
    prefix: String,
}

/// A net together with the fixed-point meaning of its bits.
#[derive(Debug, Clone, Copy)]
pub struct Signal {
    pub net: NetId,
    pub width: u32,
    pub signed: bool,
    /// Fraction bits F: the value is the bits read as an integer, times 2^-F.
    pub frac: i32,
}

impl ModuleBuilder {
    pub fn new(name: &str) -> Self {
        ModuleBuilder {
            m: Module {
                name: name.to_owned(),
                ..Module::default()
            },
            stage: vec![],
            delayed: BTreeMap::new(),
            max_stage_ns: 0.0,
            names: BTreeSet::new(),
            prefix: String::new(),
        }
    }

    /// Runs `f` with the name of every net it creates prefixed by `prefix` (one window of a
    /// convolution, say).
    pub fn scoped<T>(&mut self, prefix: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        let nested = format!("{}{prefix}", self.prefix);
        let outer = std::mem::replace(&mut self.prefix, nested);
        let result = f(self);
        self.prefix = outer;
        result
    }

    fn unique(&mut self, name: &str) -> String {
        let base = format!("{}{name}", self.prefix);
        let mut name = base.clone();
        let mut k = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    fn add(&mut self, name: &str, width: u32, signed: bool, def: Def, stage: u32) -> NetId {
        let name = self.unique(name);
        self.m.nets.push(Net {
            name,
            width,
            signed,
            def,
            note: None,
            attrs: vec![],
        });
        self.stage.push(stage);
        NetId(self.m.nets.len() - 1)
    }

    pub fn input(&mut self, name: &str, width: u32) -> NetId {
        let id = self.add(name, width, false, Def::Input, 0);
        self.m.ports.push((id, Dir::Input));
        id
    }

    /// A combinational net computed in `stage`; its operands are fetched into that stage.
    pub fn wire(
        &mut self,
        name: &str,
        width: u32,
        signed: bool,
        expr: Expr,
        stage: u32,
    ) -> Result<NetId> {
        let expr = self.retime(expr, stage)?;
        Ok(self.add(name, width, signed, Def::Wire(expr), stage))
    }

    /// A net driven by an instance.
    pub fn driven(&mut self, name: &str, width: u32, stage: u32) -> NetId {
        self.add(name, width, false, Def::Instance, stage)
    }

    /// A controlled register in `stage`, loaded later by [`set_reg`](Self::set_reg) (it may
    /// feed back into its own input). Its input is not retimed: the caller provides nets of the
    /// stage before.
    pub fn reg_ctl(&mut self, name: &str, width: u32, signed: bool, stage: u32) -> NetId {
        let id = NetId(self.m.nets.len());
        self.add(
            name,
            width,
            signed,
            Def::RegCtl {
                d: id,
                en: None,
                reset: None,
            },
            stage,
        )
    }

    /// Sets what a [`reg_ctl`](Self::reg_ctl) register loads, when, and its reset value.
    pub fn set_reg(&mut self, id: NetId, d: NetId, en: Option<NetId>, reset: Option<i128>) {
        self.m.nets[id.0].def = Def::RegCtl { d, en, reset };
    }

    /// A combinational net whose operands are used as they are, without fetching them into
    /// `stage` (control and feedback logic, where the caller knows the timing).
    pub fn wire_raw(
        &mut self,
        name: &str,
        width: u32,
        signed: bool,
        expr: Expr,
        stage: u32,
    ) -> NetId {
        self.add(name, width, signed, Def::Wire(expr), stage)
    }

    /// A synchronous ROM: `words[addr]` one cycle after `addr` (in `stage` + 1).
    pub fn rom(
        &mut self,
        name: &str,
        width: u32,
        addr: NetId,
        words: Vec<i128>,
        stage: u32,
    ) -> NetId {
        self.add(name, width, false, Def::Rom { addr, words }, stage + 1)
    }

    /// Attaches a synthesis attribute to a net's declaration.
    pub fn attr(&mut self, id: NetId, key: &str, value: &str) {
        self.m.nets[id.0]
            .attrs
            .push((key.to_owned(), value.to_owned()));
    }

    pub fn output(&mut self, id: NetId) {
        self.m.ports.push((id, Dir::Output));
    }

    pub fn note(&mut self, id: NetId, note: impl Into<String>) {
        self.m.nets[id.0].note = Some(note.into());
    }

    /// Records a stage's estimated delay.
    pub fn stage_delay(&mut self, ns: f64) {
        self.max_stage_ns = self.max_stage_ns.max(ns);
    }

    pub fn stage_of(&self, id: NetId) -> u32 {
        self.stage[id.0]
    }

    pub fn net(&self, id: NetId) -> &Net {
        &self.m.nets[id.0]
    }

    /// `id` as seen in `stage` (≥ its own stage), through shared delay registers.
    pub fn at(&mut self, id: NetId, stage: u32) -> Result<NetId> {
        let own = self.stage[id.0];
        if stage < own {
            return Err(Error::Internal(format!(
                "net '{}' of stage {own} used in stage {stage}",
                self.net(id).name
            )));
        }
        let mut cur = id;
        for s in own + 1..=stage {
            cur = match self.delayed.get(&(id, s)) {
                Some(&d) => d,
                None => {
                    let (base, width, signed) = {
                        let n = self.net(id);
                        (n.name.clone(), n.width, n.signed)
                    };
                    let d = self.add(&format!("{base}_r{s}"), width, signed, Def::Reg(cur), s);
                    self.delayed.insert((id, s), d);
                    d
                }
            };
        }
        Ok(cur)
    }

    fn retime(&mut self, e: Expr, s: u32) -> Result<Expr> {
        e.try_map_nets(&mut |n| self.at(n, s))
    }

    // ---- value-level helpers used by lowering -------------------------------------------------

    /// Bit `k` of a signal's infinite two's-complement (or zero) extension, as a 1-bit net.
    pub fn bit(&mut self, s: Signal, k: u32, name: &str, stage: u32) -> Result<Option<NetId>> {
        if k < s.width {
            return self
                .wire(
                    name,
                    1,
                    false,
                    Expr::Concat(vec![Part::Bits {
                        net: s.net,
                        hi: k,
                        lo: k,
                    }]),
                    stage,
                )
                .map(Some);
        }
        if s.signed {
            return self.bit(s, s.width - 1, name, stage);
        }
        Ok(None) // constant 0
    }

    /// A signal extended (by sign or zeros) or truncated to `width` bits, keeping its signedness.
    pub fn resize(&mut self, s: Signal, width: u32, name: &str, stage: u32) -> Result<Signal> {
        if width == s.width {
            return Ok(s);
        }
        let expr = if width < s.width {
            Expr::Concat(vec![Part::Bits {
                net: s.net,
                hi: width - 1,
                lo: 0,
            }])
        } else if s.signed {
            Expr::Concat(vec![
                Part::Repeat {
                    net: s.net,
                    bit: s.width - 1,
                    count: width - s.width,
                },
                Part::Bits {
                    net: s.net,
                    hi: s.width - 1,
                    lo: 0,
                },
            ])
        } else {
            Expr::Concat(vec![
                Part::Fill {
                    ones: false,
                    count: width - s.width,
                },
                Part::Bits {
                    net: s.net,
                    hi: s.width - 1,
                    lo: 0,
                },
            ])
        };
        let net = self.wire(name, width, s.signed, expr, stage)?;
        Ok(Signal { net, width, ..s })
    }

    /// The same bits reinterpreted as signed, widened by one zero bit if the signal was unsigned.
    pub fn as_signed(&mut self, s: Signal, name: &str, stage: u32) -> Result<Signal> {
        if s.signed {
            return Ok(s);
        }
        let w = s.width + 1;
        let net = self.wire(
            name,
            w,
            true,
            Expr::Concat(vec![
                Part::Fill {
                    ones: false,
                    count: 1,
                },
                Part::Bits {
                    net: s.net,
                    hi: s.width - 1,
                    lo: 0,
                },
            ]),
            stage,
        )?;
        Ok(Signal {
            net,
            width: w,
            signed: true,
            frac: s.frac,
        })
    }

    /// `s · 2^k` for k ≥ 0 (appends zero bits; the fraction count is unchanged, so the value grows).
    pub fn shift_left(&mut self, s: Signal, k: u32, name: &str, stage: u32) -> Result<Signal> {
        if k == 0 {
            return Ok(s);
        }
        let w = s.width + k;
        let net = self.wire(
            name,
            w,
            s.signed,
            Expr::Concat(vec![
                Part::Bits {
                    net: s.net,
                    hi: s.width - 1,
                    lo: 0,
                },
                Part::Fill {
                    ones: false,
                    count: k,
                },
            ]),
            stage,
        )?;
        Ok(Signal { net, width: w, ..s })
    }
}
