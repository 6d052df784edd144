//! A fault-injecting HTTP proxy on loopback, between edgectl and moto. At a configurable
//! rate (with a seed, so a failing run can be replayed) it answers a request itself with
//! throttling or a 500/503 in the service's own error format, or resets the connection
//! before forwarding the request (never served) or after moto served it (the response
//! is lost). It can also kill a process right after moto served the N-th request of a
//! run, for crash tests, and answer the first N requests of one operation with the error
//! AWS answers while it settles something (a role propagating, a load balancer
//! provisioning), in that service's own protocol, to replay AWS's eventual consistency.
//! Requests are counted across the whole run.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Throttle,
    ServerError,
    Unavailable,
    ResetBeforeServed,
    ResetAfterServed,
}

const FAULTS: [Fault; 5] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Unavailable,
    Fault::ResetBeforeServed,
    Fault::ResetAfterServed,
];

#[derive(Default)]
struct State {
    /// Faults per million requests.
    rate: u32,
    /// Which faults to draw from (all when empty).
    kinds: Vec<Fault>,
    rng: u64,
    requests: usize,
    injected: BTreeMap<Fault, usize>,
    /// Kill this process once moto has served the n-th request (counted from when set).
    kill_after: Option<(usize, u32)>,
    killed_at: Option<String>,
    /// Held before forwarding each request, to make a run last.
    delay: Duration,
    /// Requests read and not yet answered (or dropped).
    in_flight: usize,
    /// Errors to answer the next requests of an operation with, in order set.
    answers: Vec<Answer>,
    /// Held this long before forwarding, the requests that match (a slow operation).
    slow: Vec<(Match, Duration)>,
    /// What the Resource Groups Tagging API's `GetResources` answers.
    tags: Tags,
    /// The last `GetResources` answer moto gave, per region and request body.
    tag_answers: BTreeMap<(String, Vec<u8>), Message>,
    /// `tag_answers` as they were at the last `snapshot_tags`: what `Tags::Stale` answers.
    tag_snapshot: BTreeMap<(String, Vec<u8>), Message>,
}

/// What the Resource Groups Tagging API answers through the proxy: it is eventually
/// consistent, behind creates and deletes alike, for seconds to minutes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tags {
    /// moto's answer: the account as it is.
    #[default]
    Live,
    /// Nothing yet: what a run killed right after its creates leaves its rerun to see.
    Empty,
    /// The answers moto gave to the same questions when `snapshot_tags` was called,
    /// whatever happened since: resources deleted since still listed, resources made since
    /// not yet. A question not asked before the snapshot is answered with nothing (a
    /// snapshot taken after a whole run holds every page of its listing).
    Stale,
}

/// Which requests an `Answer` is for.
#[derive(Clone, Debug)]
pub enum Match {
    /// An operation by its name (`AssociateWebACL`): the query protocols' `Action`, the
    /// JSON protocols' `X-Amz-Target`, Smithy RPC v2 CBOR's path.
    Operation(&'static str),
    /// An operation whose request body holds this text (a listener with a certificate).
    Containing(&'static str, &'static str),
    /// A REST request by its method and a part of its path (`PUT`, `/config`): S3,
    /// CloudFront, Route 53, EFS.
    Rest(&'static str, &'static str),
    /// A REST request by its method and its whole path and query (`PUT`, `/bucket`:
    /// CreateBucket, not the bucket's other calls).
    RestExact(&'static str, &'static str),
}

/// An AWS error answered to the next `remaining` requests that match.
#[derive(Clone, Debug)]
struct Answer {
    matches: Match,
    remaining: usize,
    answered: usize,
    status: u16,
    code: String,
    message: String,
    /// Whether the request reaches moto first (another writer got there before the
    /// caller: what it asked for is done, the caller hears the error).
    served: bool,
}

impl Match {
    fn matches(&self, request: &Message) -> bool {
        match self {
            Match::Operation(name) => operation(request).as_deref() == Some(*name),
            Match::Containing(name, part) => {
                operation(request).as_deref() == Some(*name)
                    && String::from_utf8_lossy(request.body()).contains(part)
            }
            Match::RestExact(method, path) => {
                let mut line = request.head.split_whitespace();
                line.next() == Some(*method)
                    && line
                        .next()
                        .is_some_and(|target| target.trim_end_matches('/') == *path)
            }
            Match::Rest(method, path) => {
                let mut line = request.head.split_whitespace();
                line.next() == Some(*method)
                    && line.next().is_some_and(|target| target.contains(path))
            }
        }
    }
}

/// The operation a request is for, where the protocol names it.
fn operation(request: &Message) -> Option<String> {
    if let Some(target) = request.header("x-amz-target") {
        return target.rsplit('.').next().map(str::to_string);
    }
    let target = request.head.split_whitespace().nth(1)?;
    if let Some((_, name)) = target.split_once("/operation/") {
        return Some(name.to_string());
    }
    let body = std::str::from_utf8(request.body()).ok()?;
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}

impl State {
    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic for a seed, good enough to spread faults.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn draw(&mut self) -> Option<Fault> {
        if self.rate == 0 || (self.next_random() % 1_000_000) as u32 >= self.rate {
            return None;
        }
        let kinds = if self.kinds.is_empty() {
            FAULTS.to_vec()
        } else {
            self.kinds.clone()
        };
        let fault = kinds[(self.next_random() % kinds.len() as u64) as usize];
        *self.injected.entry(fault).or_default() += 1;
        Some(fault)
    }
}

pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://127.0.0.1:PORT`), passing everything through.
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let state = Arc::new(Mutex::new(State {
            rng: 1,
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let state = shared.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || serve(client, &upstream, &state));
            }
        });
        Self { url, state }
    }

    /// Injects a fault into `percent` % of requests, drawn from `kinds` (all when empty),
    /// in an order fixed by `seed`.
    pub fn faults(&self, percent: f64, kinds: &[Fault], seed: u64) {
        let mut state = self.state.lock().expect("proxy state");
        state.rate = (percent * 10_000.0) as u32;
        state.kinds = kinds.to_vec();
        state.rng = seed.max(1);
    }

    /// Kills `pid` right after moto has served the `n`-th request from now.
    pub fn kill_after(&self, n: usize, pid: u32) {
        let mut state = self.state.lock().expect("proxy state");
        state.requests = 0;
        state.killed_at = None;
        state.kill_after = Some((n, pid));
    }

    /// The request after which the process was killed, if it was.
    pub fn killed_at(&self) -> Option<String> {
        let mut state = self.state.lock().expect("proxy state");
        state.kill_after = None;
        state.killed_at.clone()
    }

    /// Holds every request this long before forwarding it (a slow AWS).
    pub fn delay(&self, delay: Duration) {
        self.state.lock().expect("proxy state").delay = delay;
    }

    /// Holds the requests of `matches` this long before forwarding them (AWS slow to answer
    /// one operation).
    pub fn slow(&self, matches: Match, delay: Duration) {
        self.state
            .lock()
            .expect("proxy state")
            .slow
            .push((matches, delay));
    }

    /// Waits until every request the proxy has read is done: a killed client's requests
    /// still reach moto, and a test must not read the account before they have.
    pub fn settle(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.state.lock().expect("proxy state").in_flight > 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn requests(&self) -> usize {
        self.state.lock().expect("proxy state").requests
    }

    pub fn injected(&self) -> BTreeMap<Fault, usize> {
        self.state.lock().expect("proxy state").injected.clone()
    }

    /// Answers the next `times` requests of `matches` with AWS's error `code` (HTTP
    /// `status`, `message`), in the request's service's own protocol, instead of
    /// forwarding them.
    pub fn answer(&self, matches: Match, times: usize, status: u16, code: &str, message: &str) {
        self.add(matches, times, status, code, message, false);
    }

    /// As `answer`, but each request is served by moto first: the error AWS answers when
    /// another writer did the same a moment before (a removal that finds it gone).
    pub fn answer_served(
        &self,
        matches: Match,
        times: usize,
        status: u16,
        code: &str,
        message: &str,
    ) {
        self.add(matches, times, status, code, message, true);
    }

    fn add(
        &self,
        matches: Match,
        times: usize,
        status: u16,
        code: &str,
        message: &str,
        served: bool,
    ) {
        self.state
            .lock()
            .expect("proxy state")
            .answers
            .push(Answer {
                matches,
                remaining: times,
                answered: 0,
                status,
                code: code.to_string(),
                message: message.to_string(),
                served,
            });
    }

    /// What the Resource Groups Tagging API's `GetResources` answers from now on. Its
    /// answers other than `Live` are the proxy's own: no fault is drawn for them, an
    /// `answer` matching them is spent unsent, and `kill_after` never fires on them (set
    /// both only with `Live`).
    pub fn tags(&self, view: Tags) {
        self.state.lock().expect("proxy state").tags = view;
    }

    /// Keeps moto's latest `GetResources` answers as what `Tags::Stale` answers (take it
    /// after a run that listed what a later rerun should see as stale).
    pub fn snapshot_tags(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.tag_snapshot = state.tag_answers.clone();
    }

    /// How many requests were answered with `code` so far.
    pub fn answered(&self, code: &str) -> usize {
        let state = self.state.lock().expect("proxy state");
        state
            .answers
            .iter()
            .filter(|answer| answer.code == code)
            .map(|answer| answer.answered)
            .sum()
    }

    pub fn reset_counts(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.requests = 0;
        state.injected.clear();
    }
}

/// One HTTP/1.1 message: head and body, as bytes.
#[derive(Clone)]
struct Message {
    head: String,
    bytes: Vec<u8>,
}

impl Message {
    fn body(&self) -> &[u8] {
        &self.bytes[self.head.len().min(self.bytes.len())..]
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// Reads one message; `None` at a clean end of stream. `no_body` for responses to HEAD
/// and for 204/304.
fn read_message(reader: &mut BufReader<TcpStream>, no_body: bool) -> Option<Message> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut message = Message {
        bytes: head.clone().into_bytes(),
        head,
    };
    let status_has_no_body = message
        .head
        .split_whitespace()
        .nth(1)
        .is_some_and(|status| status == "204" || status == "304");
    if no_body || status_has_no_body {
        return Some(message);
    }
    if let Some(length) = message
        .header("content-length")
        .and_then(|value| value.parse::<usize>().ok())
    {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        message.bytes.extend(body);
    } else if message
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).ok()?;
            message.bytes.extend(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            message.bytes.extend(chunk);
            if size == 0 {
                break;
            }
        }
    } else if message.head.starts_with("HTTP/") {
        // A response without a length ends with the connection.
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).ok()?;
        message.bytes.extend(rest);
    }
    Some(message)
}

fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(120)));
    let Ok(writer) = client.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(client);
    while let Some(request) = read_message(&mut reader, false) {
        let (number, fault, delay, answer, tags) = {
            let mut state = state.lock().expect("proxy state");
            state.requests += 1;
            state.in_flight += 1;
            // For GetResources: its key, and the proxy's own answer unless `Live` (the
            // snapshot's, or nothing).
            let tags = (operation(&request).as_deref() == Some("GetResources")).then(|| {
                let key = (region(&request), request.body().to_vec());
                let own = match state.tags {
                    Tags::Live => None,
                    Tags::Empty => Some(None),
                    Tags::Stale => Some(state.tag_snapshot.get(&key).cloned()),
                };
                (key, own)
            });
            let answer = state
                .answers
                .iter_mut()
                .find(|answer| answer.remaining > 0 && answer.matches.matches(&request))
                .map(|answer| {
                    answer.remaining -= 1;
                    answer.answered += 1;
                    (
                        answer.status,
                        answer.code.clone(),
                        answer.message.clone(),
                        answer.served,
                    )
                });
            let delay = state
                .slow
                .iter()
                .filter(|(matches, _)| matches.matches(&request))
                .map(|(_, delay)| *delay)
                .fold(state.delay, Duration::max);
            let lags = tags.as_ref().is_some_and(|(_, own)| own.is_some());
            let fault = if lags { None } else { state.draw() };
            (state.requests, fault, delay, answer, tags)
        };
        let _done = InFlight(state);
        std::thread::sleep(delay);
        if let Some((_, Some(own))) = &tags {
            let answer = match own {
                Some(snapshot) => snapshot.clone(),
                None => {
                    let body = r#"{"ResourceTagMappingList":[],"PaginationToken":""}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: proxy\r\n\r\n",
                        body.len()
                    );
                    Message {
                        bytes: [head.as_bytes(), body.as_bytes()].concat(),
                        head,
                    }
                }
            };
            if writer.write_all(&answer.bytes).is_err() {
                return;
            }
            if answer
                .header("connection")
                .is_some_and(|value| value.eq_ignore_ascii_case("close"))
            {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            continue;
        }
        if let Some((status, code, message, served)) = answer {
            let head_request = request.head.starts_with("HEAD ");
            if served && forward(upstream, &request, head_request).is_none() {
                return reset(writer);
            }
            let _ = writer.write_all(&error_answer(&request, status, &code, &message));
            continue;
        }
        match fault {
            Some(Fault::Throttle) => {
                let _ = writer.write_all(&error_response(&request, true, 400));
                continue;
            }
            Some(Fault::ServerError) => {
                let _ = writer.write_all(&error_response(&request, false, 500));
                continue;
            }
            Some(Fault::Unavailable) => {
                let _ = writer.write_all(&error_response(&request, false, 503));
                continue;
            }
            Some(Fault::ResetBeforeServed) => return reset(writer),
            Some(Fault::ResetAfterServed) | None => {}
        }
        let head_request = request.head.starts_with("HEAD ");
        let Some(response) = forward(upstream, &request, head_request) else {
            return reset(writer);
        };
        {
            let mut state = state.lock().expect("proxy state");
            if let Some((n, pid)) = state.kill_after
                && number == n
            {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
                state.killed_at = request.head.lines().next().map(str::to_string);
                state.kill_after = None;
            }
        }
        if let Some((key, _)) = tags
            && response.head.split_whitespace().nth(1) == Some("200")
        {
            state
                .lock()
                .expect("proxy state")
                .tag_answers
                .insert(key, response.clone());
        }
        if fault == Some(Fault::ResetAfterServed) {
            return reset(writer);
        }
        if writer.write_all(&response.bytes).is_err() {
            return;
        }
        if response
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"))
        {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Counts a request as done when dropped, however its handling ends.
struct InFlight<'a>(&'a Mutex<State>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.lock() {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
    }
}

fn forward(upstream: &str, request: &Message, head_request: bool) -> Option<Message> {
    let mut stream = TcpStream::connect(upstream).ok()?;
    stream.write_all(&request.bytes).ok()?;
    let mut reader = BufReader::new(stream);
    read_message(&mut reader, head_request)
}

/// Closes with a TCP reset, as a dropped connection looks to a client.
fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

/// The region a request is signed for, from its SigV4 credential scope.
fn region(request: &Message) -> String {
    credential_scope(request, 2)
}

/// The service a request is for, from its SigV4 credential scope.
fn service(request: &Message) -> String {
    credential_scope(request, 3)
}

/// A part of a request's SigV4 credential (`KEY/DATE/REGION/SERVICE/aws4_request`).
fn credential_scope(request: &Message, part: usize) -> String {
    request
        .header("authorization")
        .and_then(|value| value.split("Credential=").nth(1))
        .and_then(|credential| credential.split('/').nth(part))
        .unwrap_or("")
        .to_string()
}

/// Throttling or a server error as the request's service writes it: JSON (`__type`) for
/// the JSON protocols, EC2's `<Response><Errors>`, the query protocol's `<ErrorResponse>`,
/// S3's bare `<Error>` (`SlowDown` for throttling, as S3 says it), Smithy RPC v2 CBOR's map.
fn error_response(request: &Message, throttle: bool, status: u16) -> Vec<u8> {
    let service = service(request);
    let json = request.header("x-amz-target").is_some();
    let code = match (throttle, service.as_str(), json) {
        (true, "s3", _) => "SlowDown",
        (true, "ec2", _) => "RequestLimitExceeded",
        (true, _, true) => "ThrottlingException",
        (true, _, false) => "Throttling",
        (false, _, _) if status == 503 => "ServiceUnavailable",
        (false, "ec2" | "s3", _) => "InternalError",
        (false, _, true) => "InternalFailure",
        (false, _, false) => "InternalFailure",
    };
    // EC2 and S3 throttle with 503; the others with 400.
    let status = match (throttle, service.as_str()) {
        (true, "ec2" | "s3") => 503,
        _ => status,
    };
    let message = if throttle {
        "Rate exceeded"
    } else {
        "injected by the test proxy"
    };
    error_answer(request, status, code, message)
}

/// An AWS error as the request's service writes it: JSON (`__type`) for the JSON
/// protocols, REST-JSON's `x-amzn-ErrorType` (EFS), EC2's `<Response><Errors>`, the query
/// and REST-XML protocols' `<ErrorResponse>`, S3's bare `<Error>`, Smithy RPC v2 CBOR's map.
fn error_answer(request: &Message, status: u16, code: &str, message: &str) -> Vec<u8> {
    let service = service(request);
    let json = request.header("x-amz-target").is_some();
    let cbor = request
        .header("smithy-protocol")
        .is_some_and(|value| value == "rpc-v2-cbor");
    let (content_type, body) = if cbor {
        // Smithy RPC v2 CBOR (CloudWatch): a map of `__type` and `message`.
        let mut body = vec![0xa2];
        for text in ["__type", code, "message", message] {
            cbor_text(&mut body, text);
        }
        let head = format!(
            "HTTP/1.1 {status} Error\r\nContent-Type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Length: {}\r\nx-amzn-RequestId: proxy\r\nConnection: close\r\n\r\n",
            body.len()
        );
        return [head.into_bytes(), body].concat();
    } else if json {
        (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        )
    } else if service == "elasticfilesystem" {
        (
            "application/json",
            format!(r#"{{"ErrorCode":"{code}","Message":"{message}"}}"#),
        )
    } else if service == "ec2" {
        (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
            ),
        )
    } else if service == "s3" {
        (
            "application/xml",
            format!(
                "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>"
            ),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
            ),
        )
    };
    format!(
        "HTTP/1.1 {status} Error\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-ErrorType: {code}\r\nx-amzn-RequestId: proxy\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A CBOR text string (major type 3) of fewer than 65,536 bytes.
fn cbor_text(out: &mut Vec<u8>, text: &str) {
    let length = text.len();
    assert!(length < 65_536, "short texts only");
    if length < 24 {
        out.push(0x60 | length as u8);
    } else if length < 256 {
        out.extend([0x78, length as u8]);
    } else {
        out.push(0x79);
        out.extend((length as u16).to_be_bytes());
    }
    out.extend(text.as_bytes());
}
