//! The kernel's list of UDP sockets (Linux, /proc/net/udp and udp6): where a server's
//! socket is really bound, whatever it announced (server_bound_where_announced).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The local addresses of every UDP socket (IPv4 and IPv6) bound to `port`.
pub fn local_addrs(port: u16) -> Vec<IpAddr> {
    let mut found = Vec::new();
    // thread-self: the check's thread may be in a network namespace of its own (the
    // sandbox); /proc/net is the whole process's, which may be another.
    for file in ["/proc/thread-self/net/udp", "/proc/thread-self/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let Some((ip, hex_port)) = line
                .split_whitespace()
                .nth(1)
                .and_then(|local| local.split_once(':'))
            else {
                continue;
            };
            if u16::from_str_radix(hex_port, 16) == Ok(port) {
                found.extend(decode(ip));
            }
        }
    }
    // One per address: a server may have a socket per core on the same one.
    found.sort();
    found.dedup();
    found
}

/// `0100007F` is 127.0.0.1: the address's bytes, printed as native-endian 32-bit words.
fn decode(hex: &str) -> Option<IpAddr> {
    let words: Option<Vec<[u8; 4]>> = (0..hex.len() / 8)
        .map(|i| {
            let word = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
            Some(word.to_ne_bytes())
        })
        .collect();
    let bytes: Vec<u8> = words?.concat();
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_decode_as_the_kernel_prints_them() {
        #[cfg(target_endian = "little")]
        {
            assert_eq!(
                super::decode("0100007F"),
                Some("127.0.0.1".parse().unwrap())
            );
            assert_eq!(
                super::decode("00000000000000000000000001000000"),
                Some("::1".parse().unwrap())
            );
        }
        assert_eq!(super::decode("00000000"), Some("0.0.0.0".parse().unwrap()));
    }
}
