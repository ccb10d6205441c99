// The reports page: the Print button (the page itself is drawn on the server; the print stylesheet makes it A4).
const printButton = document.getElementById("report-print");
if (printButton) {
  printButton.addEventListener("click", () => window.print());
}
