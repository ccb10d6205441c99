// Agent login: post the credentials as JSON, then go to the desk; show the server's sentence on failure.
import { api, clearAlert, pageStrings, showAlert } from "./api.js";

const form = document.getElementById("login-form");
const submit = form.querySelector("[type=submit]");
const strings = pageStrings();

document.querySelector("[data-alert-close]").addEventListener("click", clearAlert);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const label = submit.textContent;
  submit.disabled = true;
  submit.textContent = strings.signing_in;
  try {
    await api("POST", "/api/auth/login", {
      username: form.username.value.trim(),
      password: form.password.value,
    });
    const lang = new URLSearchParams(location.search).get("lang");
    location.assign(lang ? `/counter?lang=${encodeURIComponent(lang)}` : "/counter");
  } catch (error) {
    showAlert(error.message);
    form.password.value = "";
    form.password.focus();
    submit.disabled = false;
    submit.textContent = label;
  }
});
