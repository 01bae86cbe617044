//! The scenario check: whole transfers drawn from the seed, played several at once, each
//! knowing its own right outcome (no reference program). Half of them are a peer sender
//! talking to the student's receiver (scenarios_recv.rs), half the student's sender
//! talking to a peer receiver (scenarios_send.rs). Scenario i takes class i mod K of its
//! side as its main feature, so every class is played in every run; only what lies inside
//! a class (names, sizes, bytes, write boundaries, pauses) comes from the seed.

use std::fmt;

use fastrand::Rng;
use harness::scenario::play_all;
use harness::{Ctx, Failure};

use super::common::file_name;
use super::names;
use super::scenarios_recv::{self, Idle, ToReceiver};
use super::scenarios_send::{self, FromSender};

/// How many scenarios play at once: enough to overlap the ones that wait out a timeout.
const AT_ONCE: usize = 8;

/// One drawn conversation, on either side.
pub(super) enum Scenario {
    ToReceiver(ToReceiver),
    FromSender(FromSender),
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scenario::ToReceiver(s) => s.fmt(f),
            Scenario::FromSender(s) => s.fmt(f),
        }
    }
}

/// Every class of both sides once, then as many again drawn freely, interleaved so that
/// receivers and senders play at the same time.
fn draw(rng: &mut Rng) -> Vec<Scenario> {
    let to_receiver = scenarios_recv::CLASSES + 3;
    let from_sender = scenarios_send::CLASSES + 3;
    // A plain name and every unusual form, taken in turn by the scenarios whose name is
    // legal: each form is played in every run, on both sides.
    let mut legal = vec![(file_name(rng), "a plain name")];
    legal.extend(names::unusual(rng));
    let mut next_legal = 0;
    let idle = Idle::draw(rng);
    let mut receivers: Vec<Scenario> = (0..to_receiver)
        .map(|i| Scenario::ToReceiver(ToReceiver::draw(rng, i, &legal, &mut next_legal, idle)))
        .collect();
    let mut next_legal = 0;
    let mut senders: Vec<Scenario> = (0..from_sender)
        .map(|i| Scenario::FromSender(FromSender::draw(rng, i, &legal, &mut next_legal)))
        .collect();
    let mut all = Vec::new();
    while !receivers.is_empty() || !senders.is_empty() {
        if !receivers.is_empty() {
            all.push(receivers.remove(0));
        }
        if !senders.is_empty() {
            all.push(senders.remove(0));
        }
    }
    all
}

pub(super) fn scenarios_transfers(ctx: &Ctx) -> Result<(), Failure> {
    let scenarios = draw(&mut ctx.rng());
    play_all(ctx, &scenarios, AT_ONCE, |scenario| match scenario {
        Scenario::ToReceiver(s) => s.play(ctx),
        Scenario::FromSender(s) => s.play(ctx),
    })
}
