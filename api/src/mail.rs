//! Account emails. Sending happens in a background task so the response time of register and
//! resend does not depend on the mail server (nor reveal whether a mail was sent at all).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, MailTransport, SmtpSecurity};

/// A mail as recorded by the in-memory transport.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development: log instead of sending. `reveal_links` logs the verification link, the
    /// only place a token may ever be printed.
    Log {
        reveal_links: bool,
    },
    /// Tests: keep the mails in memory.
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    frontend_url: String,
    verification_ttl: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP transport cannot be configured")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Mailer, MailError> {
        let transport = match &config.mail_transport {
            MailTransport::Log => Transport::Log {
                reveal_links: config.is_development(),
            },
            MailTransport::Smtp(smtp) => {
                let mut builder = match smtp.security {
                    SmtpSecurity::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                }
                .port(smtp.port)
                .timeout(Some(Duration::from_secs(15)));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer::with_transport(config, transport))
    }

    /// A mailer that records every mail in the returned outbox instead of sending it.
    pub fn in_memory(config: &Config) -> (Mailer, Arc<Mutex<Vec<SentMail>>>) {
        let outbox = Arc::new(Mutex::new(Vec::new()));
        let mailer = Mailer::with_transport(config, Transport::Memory(outbox.clone()));
        (mailer, outbox)
    }

    fn with_transport(config: &Config, transport: Transport) -> Mailer {
        Mailer {
            transport,
            from: config.mail_from.clone(),
            frontend_url: config.frontend_url.clone(),
            verification_ttl: config.verification_token_ttl,
        }
    }

    /// Sends the verification link for `token` to a newly registered (or re-registering,
    /// still unverified) account.
    pub fn send_verification(&self, name: &str, email: &str, token: &str) {
        let link = format!("{}/verify-email?token={token}", self.frontend_url);
        let hours = self.verification_ttl.as_secs() / 3600;
        let text = format!(
            "Hello {name},\n\nplease verify your email address for SAFAPAC by opening this \
             link:\n\n{link}\n\nThe link is valid for {hours} hours. If you did not sign up \
             for SAFAPAC, ignore this message.\n"
        );
        let html = format!(
            "<p>Hello {name},</p><p>please verify your email address for SAFAPAC by opening \
             this link:</p><p><a href=\"{link}\">{link}</a></p><p>The link is valid for \
             {hours} hours. If you did not sign up for SAFAPAC, ignore this message.</p>",
            name = escape_html(name),
            link = escape_html(&link),
        );
        self.dispatch(
            name,
            email,
            "Verify your SAFAPAC email address",
            text,
            html,
            Some(&link),
        );
    }

    /// Tells the owner of a verified account that someone tried to register it again.
    pub fn send_already_registered(&self, name: &str, email: &str) {
        let login = format!("{}/login", self.frontend_url);
        let text = format!(
            "Hello {name},\n\nsomeone tried to create a SAFAPAC account with this address, \
             which already has one. If it was you, sign in at {login}. Otherwise ignore this \
             message.\n"
        );
        let html = format!(
            "<p>Hello {name},</p><p>someone tried to create a SAFAPAC account with this \
             address, which already has one. If it was you, sign in at \
             <a href=\"{login}\">{login}</a>. Otherwise ignore this message.</p>",
            name = escape_html(name),
            login = escape_html(&login),
        );
        self.dispatch(name, email, "Your SAFAPAC account", text, html, None);
    }

    fn dispatch(
        &self,
        name: &str,
        email: &str,
        subject: &str,
        text: String,
        html: String,
        secret_link: Option<&str>,
    ) {
        match &self.transport {
            Transport::Memory(outbox) => {
                if let Ok(mut outbox) = outbox.lock() {
                    outbox.push(SentMail {
                        to: email.to_owned(),
                        subject: subject.to_owned(),
                        text,
                    });
                }
            }
            Transport::Log { reveal_links } => match secret_link {
                Some(link) if *reveal_links => {
                    tracing::info!(to = %email, subject, %link, "mail not sent (log transport)");
                }
                _ => tracing::info!(to = %email, subject, "mail not sent (log transport)"),
            },
            Transport::Smtp(smtp) => {
                let message = match build_message(&self.from, name, email, subject, text, html) {
                    Ok(message) => message,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot build mail");
                        return;
                    }
                };
                let smtp = smtp.clone();
                tokio::spawn(async move {
                    if let Err(e) = smtp.send(message).await {
                        tracing::error!(error = %e, "sending mail failed");
                    }
                });
            }
        }
    }
}

fn build_message(
    from: &Mailbox,
    name: &str,
    email: &str,
    subject: &str,
    text: String,
    html: String,
) -> Result<Message, Box<dyn std::error::Error>> {
    let to = Mailbox::new(Some(name.to_owned()), email.parse::<Address>()?);
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))?)
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}

#[cfg(test)]
mod smtp_tests {
    use std::collections::HashMap;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// Accepts one SMTP session and returns the envelope recipients and the message data.
    async fn receive_one(listener: TcpListener) -> (Vec<String>, String) {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut recipients = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let command = line.to_ascii_uppercase();
            if command.starts_with("EHLO") || command.starts_with("HELO") {
                write.write_all(b"250 test\r\n").await.unwrap();
            } else if command.starts_with("RCPT TO:") {
                recipients.push(line[8..].to_owned());
                write.write_all(b"250 OK\r\n").await.unwrap();
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await.unwrap();
                let mut data = String::new();
                while let Some(line) = lines.next_line().await.unwrap() {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                write.write_all(b"250 queued\r\n").await.unwrap();
                return (recipients, data);
            } else {
                write.write_all(b"250 OK\r\n").await.unwrap();
            }
        }
        panic!("session ended before DATA");
    }

    #[tokio::test]
    async fn verification_mail_goes_out_through_smtp_with_the_name_escaped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let vars: HashMap<&str, &str> = HashMap::from([
            ("SAFAPAC_MAIL_TRANSPORT", "smtp"),
            ("SAFAPAC_SMTP_HOST", "127.0.0.1"),
            ("SAFAPAC_SMTP_PORT", port.as_str()),
            ("SAFAPAC_SMTP_SECURITY", "none"),
            ("SAFAPAC_MAIL_FROM", "SAFAPAC <no-reply@safapac.test>"),
        ]);
        let config = Config::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap();
        let mailer = Mailer::from_config(&config).unwrap();
        let server = tokio::spawn(receive_one(listener));

        mailer.send_verification("Eve <b>", "eve@example.org", "TOKEN123");
        let (recipients, data) = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the mail arrives")
            .unwrap();

        assert_eq!(recipients, ["<eve@example.org>"]);
        // Undo quoted-printable soft breaks and escapes before looking at the text.
        let data = data.replace("=\n", "").replace("=3D", "=");
        assert!(
            data.contains("Subject: Verify your SAFAPAC email address"),
            "{data}"
        );
        assert!(
            data.contains("http://localhost:3000/verify-email?token=TOKEN123"),
            "{data}"
        );
        assert!(data.contains("Eve &lt;b&gt;"), "{data}");
        assert!(!data.contains("<p>Hello Eve <b>"), "{data}");
    }
}
