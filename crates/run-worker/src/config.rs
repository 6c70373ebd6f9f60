//! The config worker's side of the protocol: only the messages it reads
//! ([`ToWorker::Import`], [`ToWorker::Export`]) and writes (`Ready`,
//! `Imported`, `Exported`, `Failed`), spelled exactly as [`ToWorker`] and
//! [`FromWorker`] spell them. With the whole enums its wasm would carry the
//! run config's reader and the trace's writer, which it never uses.

use serde::{Deserialize, Serialize};

use crate::{ExportedDocument, ImportedKnobs};

/// What the page asks the config worker (a part of [`crate::ToWorker`]).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Ask {
    Import {
        request_id: u64,
        format: String,
        text: String,
    },
    Export {
        request_id: u64,
        target: String,
        policy: Box<policy::PolicyConfig>,
    },
}

/// What the config worker says (a part of [`crate::FromWorker`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Ready,
    Failed {
        run_id: u64,
        message: String,
    },
    Imported {
        request_id: u64,
        result: Result<ImportedKnobs, String>,
    },
    Exported {
        request_id: u64,
        result: Result<ExportedDocument, String>,
    },
}

/// The answer to one message from the page (JSON text); anything but an
/// import or an export is answered as a failure, never a panic.
pub fn answer(text: &str) -> Answer {
    match serde_json::from_str::<Ask>(text) {
        Ok(Ask::Import {
            request_id,
            format,
            text,
        }) => Answer::Imported {
            request_id,
            result: crate::import(&format, &text),
        },
        Ok(Ask::Export {
            request_id,
            target,
            policy,
        }) => Answer::Exported {
            request_id,
            result: crate::export(&target, &policy),
        },
        Err(e) => Answer::Failed {
            run_id: 0,
            message: format!(
                "the config worker only writes and reads configs (runs are the run worker's): {e}"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FromWorker, ToWorker};

    fn as_page_reads(answer: &Answer) -> FromWorker {
        let text = serde_json::to_string(answer).expect("written");
        serde_json::from_str(&text).expect("the page reads it")
    }

    #[test]
    fn the_page_reads_every_answer_as_the_same_message() {
        assert_eq!(as_page_reads(&Answer::Ready), FromWorker::Ready);
        let export = ToWorker::Export {
            request_id: 7,
            target: "tenacity".into(),
            policy: Box::default(),
        };
        let answered = answer(&serde_json::to_string(&export).expect("written"));
        let FromWorker::Exported { request_id, result } = as_page_reads(&answered) else {
            panic!("not an export: {answered:?}");
        };
        assert_eq!(request_id, 7);
        assert_eq!(
            result,
            crate::export("tenacity", &policy::PolicyConfig::default())
        );
        let import = ToWorker::Import {
            request_id: 8,
            format: "grpc".into(),
            text: "{ not json".into(),
        };
        let answered = answer(&serde_json::to_string(&import).expect("written"));
        let FromWorker::Imported { request_id, result } = as_page_reads(&answered) else {
            panic!("not an import: {answered:?}");
        };
        assert_eq!(request_id, 8);
        assert!(result.is_err(), "a bad paste is named: {result:?}");
    }

    #[test]
    fn a_run_sent_to_the_config_worker_is_a_failure_that_says_so() {
        let run = ToWorker::Cancel { run_id: 3 };
        let answered = answer(&serde_json::to_string(&run).expect("written"));
        let FromWorker::Failed { run_id, message } = as_page_reads(&answered) else {
            panic!("not a failure: {answered:?}");
        };
        assert_eq!(run_id, 0);
        assert!(
            message.contains("only writes and reads configs"),
            "{message}"
        );
        assert!(matches!(answer("not json"), Answer::Failed { .. }));
    }
}
