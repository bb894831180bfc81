DROP TABLE calculation_jobs;
DROP TABLE scenarios;
DROP TABLE projects;
