// Keyboard shortcuts of the review page (listed on the page under "Keyboard shortcuts").
// Every action is a plain link, button or form too: without JavaScript nothing is lost.
document.addEventListener("DOMContentLoaded", () => {
  const items = Array.from(document.querySelectorAll("[data-review-item]"));
  const actions = Array.from(document.querySelectorAll("#decision-form input[name=action]"));
  let current = -1;

  const typing = (element) =>
    element instanceof HTMLElement &&
    (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

  const move = (step) => {
    if (!items.length) return;
    const focused = items.indexOf(document.activeElement);
    if (focused !== -1) current = focused;
    current = Math.min(items.length - 1, Math.max(0, current + step));
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  };

  const submit = (form) => {
    if (form) form.requestSubmit();
  };

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (key === "j" || key === "n") move(1);
    else if (key === "k") move(-1);
    else if (key === "r") {
      const item = items[current] || document;
      submit(item.querySelector("form[data-reveal]") || document.querySelector("form[data-reveal]"));
    } else if (key === "c") submit(document.querySelector("form[data-shortcut=c]"));
    else if (key === "f") {
      const facts = document.getElementById("id_decision_facts");
      if (facts) facts.focus();
    } else if (key === "?") {
      const help = document.getElementById("shortcuts");
      if (help) help.open = !help.open;
    } else if (/^[1-9]$/.test(key) && actions[Number(key) - 1]) {
      const radio = actions[Number(key) - 1];
      radio.checked = true;
      radio.focus();
    } else return;
    event.preventDefault();
  });
});
