// The attempt page: the arrest details show only while "Arrested" is chosen. Without this script they are
// always shown, so the form works without JavaScript.
const section = document.getElementById("arrest-details");
const choices = document.querySelectorAll('input[name="outcome"]');

function update() {
  const chosen = document.querySelector('input[name="outcome"]:checked');
  section.hidden = !(chosen && chosen.value === "arrested");
}

if (section && choices.length) {
  choices.forEach((choice) => choice.addEventListener("change", update));
  update();
}
