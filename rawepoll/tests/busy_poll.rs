//! Busy-poll parameters (EPIOCSPARAMS / EPIOCGPARAMS, Linux 6.9): they
//! round-trip, or the kernel answers one of the documented errnos.

use rawepoll::epoll::BusyPoll;
use rawepoll::{Epoll, Errno};

/// `None` where the kernel (or emulator) has no busy-poll ioctls.
fn supported(result: Result<(), Errno>) -> Option<()> {
    match result {
        Ok(()) => Some(()),
        // Before 6.9 / without CONFIG_NET_RX_BUSY_POLL / under qemu-user,
        // which does not know the ioctl.
        Err(Errno::NOTTY | Errno::OPNOTSUPP | Errno::NOSYS) => {
            println!("busy-poll ioctls unsupported here: {result:?}");
            None
        }
        Err(e) => panic!("undocumented errno {e:?}"),
    }
}

#[test]
fn parameters_round_trip() {
    let epoll = Epoll::new().unwrap();
    let params = BusyPoll {
        usecs: 100,
        budget: 16,
        prefer: true,
    };
    if supported(epoll.set_busy_poll(params)).is_none() {
        return;
    }
    assert_eq!(epoll.busy_poll().unwrap(), params);
    let off = BusyPoll::default();
    epoll.set_busy_poll(off).unwrap();
    assert_eq!(epoll.busy_poll().unwrap(), off);
}

#[test]
fn out_of_range_values_are_refused_and_change_nothing() {
    let epoll = Epoll::new().unwrap();
    let params = BusyPoll {
        usecs: 10,
        budget: 8,
        prefer: false,
    };
    if supported(epoll.set_busy_poll(params)).is_none() {
        return;
    }
    let too_long = BusyPoll {
        usecs: i32::MAX as u32 + 1,
        ..params
    };
    assert_eq!(epoll.set_busy_poll(too_long), Err(Errno::INVAL));
    assert_eq!(epoll.busy_poll().unwrap(), params);
    // A budget over 64 needs CAP_NET_ADMIN: EPERM without it.
    let big = BusyPoll {
        budget: 65,
        ..params
    };
    let has_net_admin = rustix::process::geteuid().is_root();
    match epoll.set_busy_poll(big) {
        Ok(()) => assert!(has_net_admin, "budget 65 accepted without CAP_NET_ADMIN"),
        Err(Errno::PERM) => assert!(!has_net_admin, "EPERM for root"),
        Err(e) => panic!("undocumented errno {e:?}"),
    }
}
