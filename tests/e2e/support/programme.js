// A cohort with people in roles, each in a browser context of their own.
import { expect } from "@playwright/test";
import { Person } from "./people.js";

/** The programme team creates a cohort; returns them and a function giving invite links. */
export async function startCohort(browser, baseURL, name = "Amplify 2026") {
  const team = await Person.open(browser, baseURL, "/cohort");
  await team.page.getByLabel("Cohort name").fill(name);
  await team.page.getByLabel("Your name").fill("Priya");
  await team.page.getByRole("button", { name: "Create the cohort" }).click();
  await expect(team.page.getByRole("heading", { level: 1, name })).toBeVisible();
  const invite = async (role) => {
    await team.page.goto("/cohort");
    const button = {
      participant: "Invite a participant",
      coach: "Invite a coach",
      "programme team": "Invite to the programme team",
      "executive viewer": "Invite an executive viewer",
    }[role];
    await team.page.getByRole("button", { name: button }).click();
    return team.page.getByTestId("invite-link").inputValue();
  };
  return { team, invite };
}

/** Someone opens a cohort invite and joins under `name`. */
export async function joinCohort(browser, baseURL, link, name, { region } = {}) {
  const person = await Person.open(browser, baseURL, "/journal");
  if (region) {
    await person.page.goto("/profile");
    await person.page.getByLabel("Name").fill(name);
    await person.page.getByLabel("Region").fill(region);
    await person.journal.saved();
  }
  await person.page.goto(link);
  await person.page.getByLabel("Your name").fill(name);
  await person.page.getByRole("button", { name: /Join the cohort|Open the showcase/ }).click();
  await person.page.waitForURL(/\/(showcase)?$/);
  return person;
}

/** A coach makes a coachee invite; the participant starts coaching with it. */
export async function pairCoaching(coach, participant) {
  await coach.page.goto("/coachees");
  await coach.page.getByRole("button", { name: "Make an invite link" }).click();
  const link = await coach.page.getByTestId("invite-link").inputValue();
  await participant.page.goto(link);
  await participant.page.getByRole("button", { name: "Start coaching" }).click();
  await participant.page.waitForURL(/\/coaching$/);
  await participant.synced();
}

/** Every string this device keeps in IndexedDB, bytes read as Latin-1, for scanning. */
export async function everythingStored(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const open = indexedDB.open("amplify");
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction([...db.objectStoreNames]);
          const parts = [];
          const text = (value) => {
            if (value instanceof Uint8Array) return Array.from(value, (b) => String.fromCharCode(b)).join("");
            if (typeof value === "string") return value;
            if (value && typeof value === "object") return Object.values(value).map(text).join("\n");
            return String(value);
          };
          for (const name of db.objectStoreNames) {
            const request = tx.objectStore(name).getAll();
            request.onsuccess = () => parts.push(request.result.map(text).join("\n"));
          }
          tx.oncomplete = () => resolve(parts.join("\n"));
        };
      }),
  );
}
