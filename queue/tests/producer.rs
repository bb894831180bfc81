//! The producer against the real Redis: the key that guards a delivery against a second push
//! does not outlive its use.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use safapac_queue::{JobQueue, QueueSettings, task_id};
use safapac_testkit::redis::RedisKeys;

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_is_guarded_against_a_second_push_for_ten_minutes_not_a_day() {
    let queue = format!("test_{}", uuid::Uuid::new_v4().simple());
    let settings = QueueSettings::from_lookup(|name| match name {
        "SAFAPAC_QUEUE" => Some(queue.clone()),
        _ => None,
    })
    .unwrap();
    let _keys = RedisKeys::starting_with(&settings.redis_url, &[&queue]);
    let producer = JobQueue::producer(&settings).await.unwrap();
    let job = uuid::Uuid::now_v7();
    producer.push(job, 0).await.unwrap();
    producer.push(job, 0).await.unwrap();

    let client = redis::Client::open(settings.redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let guard = format!("{queue}:idempotency:{}", task_id(job, 0));
    let ttl: i64 = redis::cmd("TTL")
        .arg(&guard)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 600, "the guard {guard} lives {ttl} s");
}
