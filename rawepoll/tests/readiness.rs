//! Readiness bits on pipes and sockets: readable, writable, hang-up, error,
//! read-closed (RDHUP) and priority (TCP out-of-band data).

use rawepoll::{Epoll, Event, Events, Interest, Timeout, Token};
use rustix::fd::OwnedFd;
use rustix::io::{write, Errno};
use rustix::net::{socketpair, AddressFamily, Shutdown, SocketFlags, SocketType};
use rustix::pipe::{pipe_with, PipeFlags};

fn wait_one(epoll: &Epoll) -> Event {
    let mut events = Events::<4>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(1000)).unwrap(),
        1
    );
    events.get(0).unwrap()
}

fn pair() -> (OwnedFd, OwnedFd) {
    socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )
    .unwrap()
}

#[test]
fn pipe_read_end_hangs_up_when_the_writer_closes() {
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&r, Token(1), Interest::READABLE).unwrap();
    write(&w, b"last words").unwrap();
    drop(w);
    let e = wait_one(&epoll);
    assert!(e.is_readable() && e.is_hangup(), "{e:?}");
    assert!(!e.is_error());
}

#[test]
fn hangup_is_reported_without_being_asked_for() {
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&r, Token(1), Interest::NONE).unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    drop(w);
    let e = wait_one(&epoll);
    assert!(e.is_hangup() && !e.is_readable(), "{e:?}");
}

#[test]
fn pipe_write_end_errors_when_the_reader_closes() {
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&w, Token(2), Interest::WRITABLE).unwrap();
    let e = wait_one(&epoll);
    assert!(e.is_writable() && !e.is_error(), "{e:?}");
    drop(r);
    let e = wait_one(&epoll);
    assert!(e.is_error(), "{e:?}");
    assert_eq!(e.token(), Token(2));
}

#[test]
fn pipe_is_not_writable_when_full_and_writable_again_when_drained() {
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&w, Token(3), Interest::WRITABLE).unwrap();
    let chunk = [7u8; 4096];
    loop {
        match write(&w, &chunk) {
            Ok(_) => {}
            Err(Errno::AGAIN) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    let mut buf = vec![0u8; 1 << 20];
    while rustix::io::read(&r, &mut buf).is_ok() {}
    let e = wait_one(&epoll);
    assert!(e.is_writable());
}

#[test]
fn socket_read_closed_when_the_peer_shuts_down_writing() {
    let (a, b) = pair();
    let epoll = Epoll::new().unwrap();
    epoll
        .add(&a, Token(4), Interest::READABLE | Interest::READ_CLOSED)
        .unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    rustix::net::shutdown(&b, Shutdown::Write).unwrap();
    let e = wait_one(&epoll);
    assert!(e.is_read_closed() && e.is_readable(), "{e:?}");
    // Half-closed only: no hang-up yet.
    assert!(!e.is_hangup(), "{e:?}");
}

#[test]
fn read_closed_is_not_reported_unless_asked_for() {
    let (a, b) = pair();
    let epoll = Epoll::new().unwrap();
    epoll.add(&a, Token(4), Interest::READABLE).unwrap();
    rustix::net::shutdown(&b, Shutdown::Write).unwrap();
    let e = wait_one(&epoll);
    assert!(e.is_readable() && !e.is_read_closed(), "{e:?}");
}

#[test]
fn socket_hangs_up_when_the_peer_closes() {
    let (a, b) = pair();
    let epoll = Epoll::new().unwrap();
    epoll
        .add(
            &a,
            Token(5),
            Interest::READABLE | Interest::WRITABLE | Interest::READ_CLOSED,
        )
        .unwrap();
    let e = wait_one(&epoll);
    assert!(e.is_writable() && !e.is_readable(), "{e:?}");
    drop(b);
    let e = wait_one(&epoll);
    assert!(
        e.is_hangup() && e.is_read_closed() && e.is_readable(),
        "{e:?}"
    );
}

#[test]
fn priority_for_tcp_out_of_band_data() {
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&server, Token(6), Interest::PRIORITY).unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    rustix::net::send(&client, b"!", rustix::net::SendFlags::OOB).unwrap();
    let e = wait_one(&epoll);
    assert!(e.is_priority(), "{e:?}");
    assert_eq!(e.token(), Token(6));
}
