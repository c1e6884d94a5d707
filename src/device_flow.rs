//! The OAuth 2.0 device authorization grant (RFC 8628), shared by Okta and AWS IAM Identity
//! Center: the prompt shown to the human, and the polling loop (`authorization_pending` waits
//! `interval`, `slow_down` adds 5 s and carries on where P0's CLI failed, `access_denied` and
//! expiry end the wait).

use crate::context::Context;
use crate::error::{Error, Result};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// The grant type of a device-code token request (RFC 8628 section 3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The grant type that renews an access token with a refresh token (RFC 6749 section 6).
pub const REFRESH_GRANT: &str = "refresh_token";

/// RFC 8628 section 3.5: on `slow_down` the interval grows by 5 seconds for all later polls.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// Shows the human the link and the code to confirm (where the printer sends prompts), and
/// opens the link in a browser unless they asked for none. `provider` is the name the user will
/// see in the browser ("Okta", "AWS").
pub fn show_prompt(ctx: &Context, provider: &str, verification_url: &str, user_code: &str) {
    let open = ctx.human().opens_browser();
    let intro = if open {
        format!("Opening {provider} sign-in in your browser. If it does not open, visit:")
    } else {
        format!("To sign in with {provider}, visit:")
    };
    ctx.printer.prompt(&format!(
        "{intro}\n  {verification_url}\n\
         When prompted, confirm that {provider} displays this code:\n  {user_code}\n\
         Waiting for authorization...\n"
    ));
    if open {
        crate::human::open_browser(verification_url);
    }
}

/// What one poll of the token endpoint said.
#[derive(Debug)]
pub enum Poll<T> {
    Pending,
    SlowDown,
    Denied,
    Expired,
    Granted(T),
}

/// Polls until the user approves, denies, or the device code expires.
pub async fn wait_for_approval<T, F, Fut>(
    interval: Duration,
    expires_in: Duration,
    mut poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let deadline = Instant::now() + expires_in;
    let mut interval = interval;
    loop {
        tokio::time::sleep(interval).await;
        match poll().await? {
            Poll::Granted(value) => return Ok(value),
            Poll::Pending => {}
            Poll::SlowDown => interval += SLOW_DOWN_STEP,
            Poll::Denied => return Err(Error::AccessDenied),
            Poll::Expired => return Err(Error::DeviceAuthorizationExpired),
        }
        if Instant::now() + interval >= deadline {
            return Err(Error::DeviceAuthorizationExpired);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[tokio::test(start_paused = true)]
    async fn slow_down_widens_the_interval_and_carries_on() {
        let answers = RefCell::new(vec![Poll::Granted(7), Poll::SlowDown, Poll::Pending]);
        let started = Instant::now();
        let value = wait_for_approval(Duration::from_secs(1), Duration::from_secs(600), || async {
            Ok(answers.borrow_mut().pop().unwrap())
        })
        .await
        .unwrap();
        assert_eq!(value, 7);
        // 1 s (pending) + 1 s (slow_down) + 6 s (widened) before the grant.
        assert_eq!(started.elapsed(), Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn denial_and_expiry_end_the_wait() {
        let denied =
            wait_for_approval::<(), _, _>(Duration::ZERO, Duration::from_secs(5), || async {
                Ok(Poll::Denied)
            })
            .await;
        assert!(matches!(denied, Err(Error::AccessDenied)));
        let expired = wait_for_approval::<(), _, _>(
            Duration::from_secs(1),
            Duration::from_secs(3),
            || async { Ok(Poll::Pending) },
        )
        .await;
        assert!(matches!(expired, Err(Error::DeviceAuthorizationExpired)));
    }
}
