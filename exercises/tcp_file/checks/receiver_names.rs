//! Checks of the names a receiver takes: hostile ones drawn from families (names.rs) are
//! refused with a reason and create nothing anywhere; legal unusual ones are saved under
//! exactly that name; a name already in DIR is refused and its file left alone.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;

use crate::peer::{IO_TIMEOUT, Sender};
use harness::beneath::Kind;
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

/// Connect, send a name the receiver must refuse, and read its answer: the sender (to go
/// on with, should the answer be `ok`) and the answer, never empty but in the glued case.
pub(super) fn answer_to_bad_name(
    addr: SocketAddr,
    name: &[u8],
    shown: &str,
) -> Result<(Sender, Vec<u8>), Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name).map_err(could_not_talk)?;
    // A receiver that refuses while unread bytes wait (the glued case) resets the
    // connection, which may swallow its reason: then only "not ok" can be asked for.
    let glued = name.len() > 1024;
    match sender.reply() {
        Ok(reply) if reply.is_empty() && !glued => Err(Failure::expected(
            format!("a short reason for refusing the name {shown}"),
            "the connection closed without a word: the sender cannot tell the user why",
        )),
        Ok(reply) => Ok((sender, reply)),
        Err(_) if glued => Ok((sender, Vec::new())),
        Err(e) => Err(Failure::expected(
            format!("a short reason for refusing the name {shown}"),
            format!("the read failed: {e}"),
        )),
    }
}

/// Send one bad name; the receiver must answer with a reason (not `ok`) and close.
fn refuse_one(ctx: &Ctx, addr: SocketAddr, name: &[u8], shown: &str) -> Result<(), Failure> {
    let (mut sender, reply) = answer_to_bad_name(addr, name, shown)?;
    ctx.step(format!("peer sender sent the name {shown}"));
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

/// Names already taken in DIR, every kind in every run: a file (left untouched), a
/// folder, and a link to nothing (a dangling link is a name too: `Path::exists` follows
/// it and says no). Each must be refused with a reason, and stay as it was.
pub(super) fn recv_keeps_existing_file(ctx: &Ctx) -> Result<(), Failure> {
    let (name, original, replacement, folder_name, link_name) = {
        let mut rng = ctx.rng();
        let name = file_name(&mut rng);
        let folder_name = format!("folder-{}", file_name(&mut rng));
        let link_name = format!("link-{}", file_name(&mut rng));
        (name, text(&mut rng), text(&mut rng), folder_name, link_name)
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    folder.files().write(&format!("inbox/{name}"), &original)?;
    folder.files().create_dir(&format!("inbox/{folder_name}"))?;
    // The link points below the check's folder, at nothing.
    let target = folder.root().join(format!("missing-{link_name}"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, inbox.join(&link_name))?;
    // Elsewhere links take privileges: a second folder stands in.
    #[cfg(not(unix))]
    fs::create_dir(inbox.join(&link_name)).map(|()| drop(target))?;
    ctx.step(format!(
        "DIR holds the file {name:?}, the folder {folder_name:?} and the link {link_name:?} \
         (to nothing) before the receiver starts"
    ));
    with_receiver(ctx, &[], &inbox, |_, addr| {
        for (taken, what) in [
            (&name, "a file"),
            (&folder_name, "a folder"),
            (&link_name, "a link to nothing (a name all the same)"),
        ] {
            let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
            sender.send_name(taken.as_bytes()).map_err(could_not_talk)?;
            ctx.step(format!(
                "peer sender sent the name {}",
                quoted(taken.as_bytes())
            ));
            let reply = sender.reply().map_err(could_not_talk)?;
            ctx.step(format!("receiver replied {}", quoted(&reply)));
            if reply.starts_with(b"ok") || reply.is_empty() {
                if reply.starts_with(b"ok") {
                    let _ = sender.send(&replacement);
                    let _ = sender.finish(IO_TIMEOUT);
                }
                return Err(Failure::expected(
                    format!(
                        "a short reason (not `ok`): DIR already has {taken:?}, {what} \
                         (check the name with symlink_metadata, which does not follow links)"
                    ),
                    quoted(&reply),
                ));
            }
            let _ = sender.wait_closed(IO_TIMEOUT);
        }
        same_file(
            &folder,
            &name,
            &original,
            &format!("the existing {name}, untouched"),
        )?;
        let kinds = [
            (folder_name.as_str(), Kind::Dir, "a folder"),
            (
                link_name.as_str(),
                if cfg!(unix) { Kind::Symlink } else { Kind::Dir },
                "a link",
            ),
        ];
        for (taken, kind, what) in kinds {
            if folder.files().kind(&format!("inbox/{taken}")) != Some(kind) {
                return Err(Failure::expected(
                    format!("{taken:?} in DIR still {what}, untouched"),
                    format!("{:?}", folder.files().kind(&format!("inbox/{taken}"))),
                ));
            }
        }
        let left = entries(&folder);
        if left.len() != 3 {
            return Err(Failure::expected(
                format!("only {name:?}, {folder_name:?} and {link_name:?} in DIR"),
                format!("{left:?}"),
            ));
        }
        Ok(())
    })
}
