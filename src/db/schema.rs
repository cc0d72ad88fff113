//! Diesel table definitions, shared by every backend.
#![allow(missing_docs)]

diesel::table! {
    /// CSP violations, aggregated by normalised key.
    security_csp_violations (id) {
        id -> Integer,
        key_hash -> Varchar,
        document_uri -> Varchar,
        effective_directive -> Varchar,
        blocked -> Varchar,
        source_file -> Nullable<Varchar>,
        line_number -> Nullable<Integer>,
        disposition -> Varchar,
        hits -> BigInt,
        sample_count -> Integer,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    /// Raw CSP reports (capped samples per violation).
    security_csp_reports (id) {
        id -> Integer,
        violation_id -> Nullable<Integer>,
        report_format -> Varchar,
        document_uri -> Nullable<Varchar>,
        referrer -> Nullable<Varchar>,
        blocked_uri -> Nullable<Varchar>,
        violated_directive -> Nullable<Varchar>,
        effective_directive -> Nullable<Varchar>,
        original_policy -> Nullable<Text>,
        disposition -> Nullable<Varchar>,
        status_code -> Nullable<Integer>,
        source_file -> Nullable<Varchar>,
        line_number -> Nullable<Integer>,
        column_number -> Nullable<Integer>,
        sample -> Nullable<Varchar>,
        sender_ip -> Nullable<Varchar>,
        user_agent -> Nullable<Varchar>,
        date_received -> Timestamp,
    }
}

diesel::table! {
    /// Password expiry per application user.
    security_password_expiry (user_id) {
        user_id -> Varchar,
        password_expiry_date -> Nullable<Timestamp>,
        last_changed -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(security_csp_reports -> security_csp_violations (violation_id));
diesel::allow_tables_to_appear_in_same_query!(security_csp_violations, security_csp_reports);

diesel::table! {
    /// CSP reports per hour (UTC).
    security_csp_hourly (hour) {
        hour -> Timestamp,
        hits -> BigInt,
    }
}

diesel::table! {
    /// Login throttling counters.
    security_login_attempts (key_hash) {
        key_hash -> Varchar,
        failures -> Integer,
        last_failure -> Timestamp,
    }
}

diesel::table! {
    /// The session registry: one row per login.
    security_sessions (id_hash) {
        id_hash -> Varchar,
        user_id -> Varchar,
        created_at -> Timestamp,
        last_seen -> Timestamp,
        client -> Varchar,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Varchar>,
    }
}

diesel::table! {
    /// The per-user lock of `security.session.max_per_user` (one row per user who logged in under a limit).
    security_session_locks (user_id) {
        user_id -> Varchar,
        locked_at -> Timestamp,
    }
}

diesel::table! {
    /// What controls in report mode would have refused, per control and reason.
    security_would_refuse (control, reason) {
        control -> Varchar,
        reason -> Varchar,
        hits -> BigInt,
        last_seen -> Timestamp,
        examples -> Text,
    }
}

diesel::table! {
    /// The report batches applied to `security_csp_violations` (replays apply a batch once).
    security_csp_batches (id) {
        id -> Varchar,
        applied_at -> Timestamp,
    }
}

diesel::table! {
    /// Reports per violation group and UTC day (the grouped view's sparklines).
    security_csp_group_days (group_hash, day) {
        group_hash -> Varchar,
        day -> Timestamp,
        hits -> BigInt,
    }
}

diesel::table! {
    /// An admin's triage of a violation group: `expected` or `fixed`.
    security_csp_triage (group_hash) {
        group_hash -> Varchar,
        directive -> Varchar,
        blocked -> Varchar,
        disposition -> Varchar,
        state -> Varchar,
        changed_by -> Varchar,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    /// Every triage decision, newest last: the audit trail of `security_csp_triage`.
    security_csp_triage_log (id) {
        id -> BigInt,
        group_hash -> Varchar,
        directive -> Varchar,
        blocked -> Varchar,
        disposition -> Varchar,
        state -> Varchar,
        changed_by -> Varchar,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    /// Every CSP the site's instances send, by fingerprint and disposition (see `csp::fingerprint`).
    security_csp_policies (fingerprint, disposition) {
        fingerprint -> Varchar,
        disposition -> Varchar,
        policy -> Text,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    /// Browser reports other than CSP, aggregated by `BrowserKey`.
    security_browser_reports (id) {
        id -> Integer,
        key_hash -> Varchar,
        group_hash -> Varchar,
        report_type -> Varchar,
        disposition -> Varchar,
        document_uri -> Varchar,
        subject -> Varchar,
        detail -> Varchar,
        hits -> BigInt,
        sample_count -> Integer,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    /// Samples of `security_browser_reports` (a bounded number per row).
    security_browser_samples (id) {
        id -> Integer,
        report_id -> Integer,
        body -> Text,
        url -> Nullable<Varchar>,
        user_agent -> Nullable<Varchar>,
        sender_ip -> Nullable<Varchar>,
        date_received -> Timestamp,
    }
}

diesel::table! {
    /// Browser reports per group and UTC day (sparklines, readiness).
    security_browser_days (group_hash, day) {
        group_hash -> Varchar,
        day -> Timestamp,
        report_type -> Varchar,
        disposition -> Varchar,
        hits -> BigInt,
    }
}

diesel::table! {
    /// An admin's triage of a browser report group: `expected` or `fixed`.
    security_browser_triage (group_hash) {
        group_hash -> Varchar,
        report_type -> Varchar,
        state -> Varchar,
        changed_by -> Varchar,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(security_browser_samples -> security_browser_reports (report_id));
diesel::allow_tables_to_appear_in_same_query!(security_browser_reports, security_browser_samples);
