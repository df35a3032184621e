// Show-password toggles: a button next to each password field that reveals what was typed.
// The buttons stay hidden without JavaScript; the field then works as a plain password field.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-password-toggle]")) {
    const input = document.getElementById(button.dataset.passwordToggle);
    if (!input) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const showing = input.type === "text";
      input.type = showing ? "password" : "text";
      button.textContent = showing ? "Show" : "Hide";
      button.setAttribute("aria-pressed", String(!showing));
      input.focus();
    });
  }
});
