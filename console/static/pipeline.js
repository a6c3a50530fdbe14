// The pipeline board: drag a customer's card onto another column to move them. The drop only picks the stage in the
// card's own form and submits it, so a drag is the same request as the 移动 button (and refused the same way).
document.addEventListener("DOMContentLoaded", () => {
  const board = document.getElementById("board");
  if (!board) return;
  board.querySelectorAll(".deal").forEach((card) => {
    card.draggable = true;
    card.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("text/plain", card.dataset.customer);
      e.dataTransfer.effectAllowed = "move";
    });
  });
  board.querySelectorAll(".column").forEach((column) => {
    column.addEventListener("dragover", (e) => { e.preventDefault(); column.classList.add("drop"); });
    column.addEventListener("dragleave", () => column.classList.remove("drop"));
    column.addEventListener("drop", (e) => {
      e.preventDefault();
      column.classList.remove("drop");
      const card = board.querySelector(`.deal[data-customer="${e.dataTransfer.getData("text/plain")}"]`);
      if (!card || card.closest(".column") === column) return;
      const form = card.querySelector("form");
      form.querySelector("select[name=stage_id]").value = column.dataset.stage;
      form.requestSubmit();
    });
  });
});
