//! A panic is a bug, but it must not leave a dead page: the hook shows an
//! overlay that says what happened and offers a way back (the defaults, or
//! the same link again), without Yew, which may be the thing that broke.

use wasm_bindgen::JsValue;

/// Installs the panic hook (once; later calls replace it with the same).
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&format!(
            "Resilience Playground panicked: {message}"
        )));
        crate::effects::write_pending_url();
        show_overlay(&message);
    }));
}

/// Shows the overlay (also called by tests: a real panic aborts the test).
pub fn show_overlay(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Ok(overlay) = document.create_element("div") else {
        return;
    };
    overlay.set_class_name("panic-overlay");
    let _ = overlay.set_attribute("role", "alertdialog");
    let _ = overlay.set_attribute("data-testid", "panic-overlay");
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into());
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    overlay.set_inner_html(&format!(
        "<div class=\"panic-box\"><h2>Something broke in the playground</h2>\
         <p>This is a bug; your settings are still in the address bar.</p><pre>{escaped}</pre>\
         <p><a class=\"button\" href=\"\">Reload with the same settings</a> \
         <a class=\"button\" href=\"{path}\">Reset to the defaults</a></p></div>"
    ));
    let _ = body.append_child(&overlay);
}
