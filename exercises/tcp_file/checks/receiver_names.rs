//! Checks of the names a receiver takes: hostile ones drawn from families (names.rs) are
//! refused with a reason and create nothing anywhere; legal unusual ones are saved under
//! exactly that name; a name already in DIR is refused and its file left alone.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;

use crate::peer::{IO_TIMEOUT, Sender};
use harness::{Ctx, Failure};

use super::common::{
    Folder, could_not_talk, data, entries, file_name, peer_send, quoted, same_file, saved_line,
    text, with_receiver,
};
use super::names::{self, Hostile};

pub(super) fn recv_refuses_hostile_names(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let cases = names::hostile(&mut ctx.rng(), folder.root());
    let result = with_receiver(ctx, &[], &inbox, |_, addr| {
        for case in &cases {
            let shown = format!("{} ({})", quoted(&case.name), case.what);
            refuse_one(ctx, addr, &case.name, &shown)?;
            nothing_created(&folder, &cases, &shown)?;
        }
        Ok(())
    });
    for case in &cases {
        if let Some(path) = &case.escape {
            let _ = fs::remove_file(path);
        }
    }
    result
}

/// Nothing in DIR, nothing beside it, none of the places the hostile names point to.
fn nothing_created(folder: &Folder, cases: &[Hostile], shown: &str) -> Result<(), Failure> {
    let outside: BTreeSet<String> = folder
        .files()
        .names("")
        .into_iter()
        .filter(|e| e != "inbox")
        .collect();
    let inside = entries(folder);
    let escaped: Vec<String> = cases
        .iter()
        .filter_map(|c| c.escape.as_ref())
        .filter(|path| path.symlink_metadata().is_ok())
        .map(|path| path.display().to_string())
        .collect();
    if inside.is_empty() && outside.is_empty() && escaped.is_empty() {
        return Ok(());
    }
    Err(Failure::expected(
        format!("nothing created anywhere for the name {shown}"),
        format!("in DIR: {inside:?}; beside DIR: {outside:?}; farther out: {escaped:?}"),
    ))
}

/// Send one bad name; the receiver must answer with a reason (not `ok`) and close.
fn refuse_one(ctx: &Ctx, addr: SocketAddr, name: &[u8], shown: &str) -> Result<(), Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name).map_err(could_not_talk)?;
    ctx.step(format!("peer sender sent the name {shown}"));
    // A receiver that refuses while unread bytes wait (the glued case) resets the
    // connection, which may swallow its reason: then only "not ok" can be asked for.
    let glued = name.len() > 1024;
    let reply = match sender.reply() {
        Ok(reply) => reply,
        Err(_) if glued => Vec::new(),
        Err(e) => {
            return Err(Failure::expected(
                format!("a short reason for refusing the name {shown}"),
                format!("the read failed: {e}"),
            ));
        }
    };
    if reply.starts_with(b"ok") {
        ctx.step("receiver replied `ok`; peer sender sent 6 bytes and half-closed");
        // Go on like a sender would: whatever the receiver does with it shows below.
        let _ = sender.send(b"pwned\n");
        let _ = sender.finish(IO_TIMEOUT);
        return Err(Failure::expected(
            format!("a refusal (not `ok`) for the name {shown}"),
            quoted(&reply),
        ));
    }
    if reply.is_empty() && !glued {
        return Err(Failure::expected(
            format!("a short reason for refusing the name {shown}"),
            "the connection closed without a word: the sender cannot tell the user why",
        ));
    }
    ctx.step(format!("receiver replied {}", quoted(&reply)));
    sender.wait_closed(IO_TIMEOUT).map_err(|e| {
        Failure::expected(
            format!("the receiver closes after refusing the name {shown}"),
            e,
        )
    })?;
    Ok(())
}

pub(super) fn recv_accepts_unusual_names(ctx: &Ctx) -> Result<(), Failure> {
    let files: Vec<(String, &str, Vec<u8>)> = {
        let mut rng = ctx.rng();
        names::unusual(&mut rng)
            .into_iter()
            .map(|(name, what)| {
                let data = data(&mut rng, 0..=2_000);
                (name, what, data)
            })
            .collect()
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        for (name, what, data) in &files {
            let legal = |failure: Failure| {
                Failure::new(format!(
                    "{name:?} is {what}: a legal name ({} bytes, no `/`, `\\` or NUL), to be \
                     saved as it came\n{failure}",
                    name.len()
                ))
            };
            peer_send(ctx, addr, name, data).map_err(legal)?;
            saved_line(server, name, data.len()).map_err(legal)?;
            same_file(&folder, name, data, name).map_err(legal)?;
        }
        let wanted: BTreeSet<String> = files.iter().map(|(name, ..)| name.clone()).collect();
        let got = entries(&folder);
        if got != wanted {
            return Err(Failure::expected(
                format!("DIR holding exactly {wanted:?}"),
                format!("{got:?}"),
            ));
        }
        Ok(())
    })
}

pub(super) fn recv_keeps_existing_file(ctx: &Ctx) -> Result<(), Failure> {
    let (name, original, replacement) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    folder.files().write(&format!("inbox/{name}"), &original)?;
    ctx.step(format!("DIR holds {name:?} before the receiver starts"));
    with_receiver(ctx, &[], &inbox, |_, addr| {
        let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
        sender.send_name(name.as_bytes()).map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender sent the name {}",
            quoted(name.as_bytes())
        ));
        let reply = sender.reply().map_err(could_not_talk)?;
        ctx.step(format!("receiver replied {}", quoted(&reply)));
        if reply.starts_with(b"ok") || reply.is_empty() {
            if reply.starts_with(b"ok") {
                let _ = sender.send(&replacement);
                let _ = sender.finish(IO_TIMEOUT);
            }
            return Err(Failure::expected(
                format!("a short reason (not `ok`): {name:?} already exists in DIR"),
                quoted(&reply),
            ));
        }
        same_file(
            &folder,
            &name,
            &original,
            &format!("the existing {name}, untouched"),
        )?;
        let left = entries(&folder);
        if left.len() != 1 {
            return Err(Failure::expected(
                format!("only {name:?} in DIR"),
                format!("{left:?}"),
            ));
        }
        Ok(())
    })
}
