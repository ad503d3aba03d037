/* Training-photo checks before upload, the same rules the server enforces: JPEG/PNG/WebP,
   at most data-max-bytes, at least data-min-side pixels on the short side (decoded here).
   Only the valid files stay in the input, so a bad file is never sent and never clears the
   good ones; each refused file is named with its reason. Dropped files go through the same
   checks. Emits "photos:checked" on the input with the number of valid photos. */
(function () {
  const TYPES = ["image/jpeg", "image/png", "image/webp"];

  function shortSide(file) {
    return new Promise(function (resolve) {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve([img.naturalWidth, img.naturalHeight]); };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
      img.src = url;
    });
  }

  async function reason(file, maxBytes, minSide) {
    if (TYPES.indexOf(file.type) < 0) return "Only JPEG, PNG and WebP images are accepted.";
    if (file.size > maxBytes) return "The file is larger than " + Math.floor(maxBytes / 1048576) + " MB.";
    const size = await shortSide(file);
    if (!size) return "The file is not a readable image.";
    if (Math.min(size[0], size[1]) < minSide) {
      return "Photos must be at least " + minSide + " pixels on the short side; this one is " + size[0] + "×" + size[1] + ".";
    }
    return null;
  }

  function setup(input) {
    const previews = document.getElementById(input.dataset.previews);
    const errors = document.getElementById(input.dataset.errors);
    const drop = input.closest(".photo-drop");
    const maxBytes = Number(input.dataset.maxBytes), minSide = Number(input.dataset.minSide);
    let kept = [];

    async function check(files) {
      const refused = [];
      const valid = [];
      for (const file of files) {
        const why = await reason(file, maxBytes, minSide);
        if (why) refused.push([file.name, why]); else valid.push(file);
      }
      kept = valid;
      const transfer = new DataTransfer();
      valid.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      previews.replaceChildren.apply(previews, valid.map(function (file) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        img.onload = function () { URL.revokeObjectURL(img.src); };
        return img;
      }));
      errors.replaceChildren.apply(errors, refused.map(function (r) {
        const li = document.createElement("li");
        li.textContent = r[0] + ": " + r[1];
        li.dataset.testid = "photo-error";
        return li;
      }));
      errors.hidden = refused.length === 0;
      input.dispatchEvent(new CustomEvent("photos:checked", {detail: {count: valid.length}}));
    }

    input.addEventListener("change", function () {
      check(Array.from(input.files));
    });
    if (drop) {
      drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("dragging"); });
      drop.addEventListener("dragleave", function () { drop.classList.remove("dragging"); });
      drop.addEventListener("drop", function (e) {
        e.preventDefault();
        drop.classList.remove("dragging");
        check(kept.concat(Array.from(e.dataTransfer.files)));
      });
    }
  }

  document.querySelectorAll("input[type=file][data-photo-checks]").forEach(setup);
})();
