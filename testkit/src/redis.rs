//! Redis for tests: the shared server is used through unique key prefixes and queue names,
//! whose keys are deleted afterwards (never `FLUSHDB`); a private server is for the faults
//! the shared one must never see.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` of the test's own on a free loopback port, keeping nothing on disk;
/// killed when dropped.
pub struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    /// Starts one on a free port.
    pub fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        OwnRedis::start_on(port)
    }

    /// Starts one on `port` (that of a stopped one, to bring it back empty), and waits
    /// until it accepts connections.
    pub fn start_on(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let redis = OwnRedis { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server: whatever it held is gone.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Deletes every key matching its patterns (a test's queue and prefix) when dropped: the
/// Redis server is shared, so nothing a test wrote may stay behind.
pub struct RedisKeys {
    url: String,
    patterns: Vec<String>,
}

impl RedisKeys {
    /// Keys starting with any of `prefixes`, on the server at `url`.
    pub fn starting_with(url: &str, prefixes: &[&str]) -> RedisKeys {
        RedisKeys {
            url: url.to_owned(),
            patterns: prefixes.iter().map(|p| format!("{p}*")).collect(),
        }
    }

    /// Deletes the keys now (and not again when dropped).
    pub async fn delete(mut self) -> redis::RedisResult<()> {
        let deleted = self.delete_now().await;
        self.patterns.clear();
        deleted
    }

    async fn delete_now(&self) -> redis::RedisResult<()> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        for pattern in &self.patterns {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                redis::cmd("DEL")
                    .arg(keys)
                    .query_async::<()>(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        if self.patterns.is_empty() {
            return;
        }
        let keys = RedisKeys {
            url: self.url.clone(),
            patterns: std::mem::take(&mut self.patterns),
        };
        // Drop cannot await, and the test's runtime may be shutting down: use a private one.
        let cleaned = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(keys.delete()).map_err(|e| e.to_string())
        })
        .join();
        if let Ok(Err(e)) = cleaned {
            eprintln!("test Redis keys not deleted: {e}");
        }
    }
}
